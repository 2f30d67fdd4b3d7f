import { findImages, type ImageRef } from './images';
import type { RunRecord } from './runtime-types';

// the run history panel's helpers; a record as a run result is its own module, which the store needs up front
export { resultOfRecord } from './run-result';

/**
 * Every image a run's nodes produced (blob refs, in the run document's node order, without repeats), up to `limit`.
 *
 * @example
 * runImages(record, 3); // the first three images: the history panel's thumbnails
 */
export function runImages(record: Pick<RunRecord, 'doc' | 'nodes'>, limit = 64): ImageRef[] {
  // a Set, not order.includes: a 5,000-node run's record would cost 25 million steps per history item render
  const order = new Set(record.doc.nodes.map((n) => n.id).filter((id) => record.nodes[id] !== undefined));
  for (const id of Object.keys(record.nodes)) order.add(id);
  return findImages(
    [...order].map((id) => record.nodes[id]?.outputs),
    limit,
  );
}

/**
 * How long a run took (its last attempt, start to finish), or has been going, in ms; undefined before it started.
 *
 * @example
 * runDuration({ status: 'succeeded', startedAt: 1000, finishedAt: 4000, updatedAt: 4000 }); // 3000
 */
export function runDuration(
  record: Pick<RunRecord, 'status' | 'startedAt' | 'finishedAt' | 'updatedAt'>,
): number {
  const end = record.finishedAt ?? record.updatedAt;
  return Math.max(0, end - record.startedAt);
}

/**
 * A duration in words a person reads at a glance: "0.4 s", "12 s", "2 min 3 s", "1 h 4 min".
 *
 * @example
 * durationText(123_000); // '2 min 3 s'
 */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 10_000) return `${(Math.round(ms / 100) / 10).toString()} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return s % 60 === 0 ? `${min} min` : `${min} min ${s % 60} s`;
  const h = Math.floor(min / 60);
  return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const STEPS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/**
 * When something happened, relative to `now`: "now", "5 minutes ago", "yesterday", "3 weeks ago".
 *
 * @example
 * whenText(Date.now() - 300_000, Date.now()); // '5 minutes ago'
 */
export function whenText(at: number, now: number): string {
  let amount = (at - now) / 1000;
  if (Math.abs(amount) < 10) return 'just now';
  for (const [unit, size] of STEPS) {
    if (Math.abs(amount) < size) return relative.format(Math.round(amount), unit);
    amount /= size;
  }
  return relative.format(Math.round(amount), 'year');
}
