// its own module: the palette's loading fallback shows it without the search (which loads with the palette)
export { palettePlaceholder } from './palette-placeholder';
/**
 * Words people type for a node that its title does not use (ComfyUI's and n8n's vocabulary): each maps to
 * words that do appear in node titles, types or descriptions.
 *
 * @example
 * <LoraflowEditor packs={packs} paletteSynonyms={{ ...PALETTE_SYNONYMS, upscale: ['resize'] }} />
 */
export const PALETTE_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  blend: ['compose', 'composition', 'merge', 'mix'],
  merge: ['compose', 'composition', 'blend'],
  mix: ['compose', 'composition', 'blend'],
  checkpoint: ['model', 'lora', 'base'],
  model: ['lora'],
  style: ['lora'],
  adapter: ['lora'],
  txt2img: ['generate'],
  image: ['generate', 'images'],
  render: ['generate'],
  text: ['prompt'],
  finetune: ['train', 'training'],
  dataset: ['training set'],
};

/** What one palette entry can be found by, lower case. */
export interface PaletteEntryText {
  title: string;
  type: string;
  /** Category, port type labels. */
  keywords: readonly string[];
  description: string;
}

const words = (s: string) =>
  s
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

// how well one query word matches one entry, 0 when not at all
function wordScore(q: string, e: PaletteEntryText): number {
  const title = e.title.toLowerCase();
  if (title === q) return 1;
  const titleWords = words(e.title);
  // "lora" is the LoRA source's whole title: it outranks "Compose LoRAs" and "Train LoRA"
  if (titleWords[0] === q) return 0.9;
  if (titleWords.some((w) => w === q || w === `${q}s`)) return 0.8;
  if (title.startsWith(q)) return 0.75;
  if (titleWords.some((w) => w.startsWith(q))) return 0.7;
  const typeWords = words(e.type);
  if (typeWords.includes(q)) return 0.6;
  if (typeWords.some((w) => w.startsWith(q))) return 0.55;
  if (e.keywords.some((k) => words(k).some((w) => w.startsWith(q)))) return 0.45;
  if (words(e.description).some((w) => w.startsWith(q))) return 0.3;
  return 0;
}

/**
 * The palette's ranking: every query word must match (directly, or through a synonym at a lower score);
 * a title match beats a type match, which beats a keyword or description match. 0 hides the entry.
 *
 * @example
 * paletteScore('blend', { title: 'Compose LoRAs', type: 'lora.compose', keywords: [], description: '' }); // > 0
 */
export function paletteScore(
  search: string,
  entry: PaletteEntryText,
  synonyms: Readonly<Record<string, readonly string[]>> = PALETTE_SYNONYMS,
): number {
  const query = words(search);
  if (query.length === 0) return 1;
  let total = 0;
  for (const q of query) {
    let best = wordScore(q, entry);
    for (const alt of synonyms[q] ?? []) {
      const s = Math.min(...words(alt).map((w) => wordScore(w, entry))) * 0.8;
      if (s > best) best = s;
    }
    if (best === 0) return 0;
    total += best;
  }
  return total / query.length;
}

/**
 * Groups in the order of their best item's score, highest first; groups of equal best keep their order.
 *
 * @example
 * rankGroups([['Generate', [gen]], ['LoRA', [lora]]], score); // [['LoRA', [lora]], ['Generate', [gen]]] for "lora"
 */
export function rankGroups<T>(
  groups: ReadonlyArray<readonly [string, T[]]>,
  score: (item: T) => number,
): Array<readonly [string, T[]]> {
  return groups
    .map((g) => [g, Math.max(0, ...g[1].map(score))] as const)
    .sort((a, b) => b[1] - a[1])
    .map(([g]) => g);
}

/**
 * The item with the highest score above 0, the first of equals in group order: what a filtered list shows on top.
 *
 * @example
 * bestInGroups(rankGroups(groups, score), score)?.def.type; // 'lora.source' for "lora"
 */
export function bestInGroups<T>(groups: ReadonlyArray<readonly [string, T[]]>, score: (item: T) => number) {
  let best: T | undefined;
  let top = 0;
  for (const [, list] of groups) {
    for (const item of list) {
      const s = score(item);
      if (s > top) {
        best = item;
        top = s;
      }
    }
  }
  return best;
}
