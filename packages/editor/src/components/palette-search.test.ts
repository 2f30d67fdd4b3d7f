import { loraPack } from '@loraflow/nodes';
import { describe, expect, it } from 'vitest';
import { bestInGroups, paletteScore, rankGroups } from './palette-search';

const entries = loraPack.nodes.map((d) => ({
  title: d.title ?? d.type,
  type: d.type,
  keywords: [d.category ?? ''],
  description: d.description ?? '',
}));
const ranked = (search: string) =>
  entries
    .map((e) => ({ type: e.type, score: paletteScore(search, e) }))
    .filter((e) => e.score > 0)
    .sort((a, b) => b.score - a.score)
    .map((e) => e.type);

describe('palette search', () => {
  it('ranks the LoRA source first for "lora", then the nodes with LoRA in their title', () => {
    const list = ranked('lora');
    expect(list[0]).toBe('lora.source');
    expect(list).toContain('lora.compose');
  });

  it('knows the words people use for a node: blend, checkpoint, style', () => {
    expect(ranked('blend')[0]).toBe('lora.compose');
    expect(ranked('style')[0]).toBe('lora.source');
    expect(ranked('checkpoint')[0]).toBe('lora.source');
  });

  it('needs every word to match and hides what does not', () => {
    expect(ranked('compose lora')[0]).toBe('lora.compose');
    expect(ranked('zzzz')).toEqual([]);
  });
});

describe('the order of the palette list', () => {
  const groups: Array<readonly [string, string[]]> = [
    ['Generate', ['Generate with LoRAs']],
    ['LoRA', ['LoRA', 'Compose LoRAs']],
    ['Training', ['Train LoRA', 'Wait for training']],
  ];
  const score = (title: string) => paletteScore('lora', { title, type: '', keywords: [], description: '' });

  it('puts the group of the best match first, so the list opens on it', () => {
    expect(rankGroups(groups, score).map(([name]) => name)).toEqual(['LoRA', 'Generate', 'Training']);
  });

  it('answers the best match in list order, and nothing when no entry matches', () => {
    expect(bestInGroups(rankGroups(groups, score), score)).toBe('LoRA');
    expect(bestInGroups(groups, () => 0)).toBeUndefined();
  });
});
