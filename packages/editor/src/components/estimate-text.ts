import type { RunEstimate } from '../runtime-types';

/**
 * The toolbar's one-line estimate: how many nodes will run and what they cost. With costs that
 * cannot be known before running (a first training), the total is a floor and says so — never
 * presented as the whole price, nor as free.
 *
 * @example
 * estimateText({ totals: { 'creative-units': 19.75 }, unknownCosts: 2 }, 8);
 * // '8 nodes to run · ≥ 19.75 creative-units · 2 costs unknown until run'
 */
export function estimateText(
  // an older runtime may not count unknown costs
  estimate: (Pick<RunEstimate, 'totals'> & Partial<Pick<RunEstimate, 'unknownCosts'>>) | undefined,
  willRun: number,
): string | undefined {
  if (!estimate) return undefined;
  const totals = Object.entries(estimate.totals)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .map(([unit, n]) => `${Math.round(n * 100) / 100} ${unit}`);
  const nodes = `${willRun} node${willRun === 1 ? '' : 's'} to run`;
  const unknown = estimate.unknownCosts ?? 0;
  const unknownText =
    unknown > 0 ? `${unknown} cost${unknown === 1 ? '' : 's'} unknown until run` : undefined;
  if (totals.length === 0) return unknownText ? `${nodes} · ${unknownText}` : nodes;
  return `${nodes} · ${unknown > 0 ? '≥ ' : ''}${totals.join(' · ')}${unknownText ? ` · ${unknownText}` : ''}`;
}
