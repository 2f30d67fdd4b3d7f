import { describe, expect, it } from 'vitest';
import { estimateText } from './estimate-text';

describe('estimateText', () => {
  it('sums priced nodes and shows the total as a floor when some costs are unknown', () => {
    expect(estimateText({ totals: { 'creative-units': 19.754 }, unknownCosts: 2 }, 8)).toBe(
      '8 nodes to run · ≥ 19.75 creative-units · 2 costs unknown until run',
    );
    expect(estimateText({ totals: { 'creative-units': 10 } }, 1)).toBe('1 node to run · 10 creative-units');
  });

  it('never calls an unpriced run free: unknown costs are named even with no total', () => {
    expect(estimateText({ totals: {}, unknownCosts: 1 }, 3)).toBe(
      '3 nodes to run · 1 cost unknown until run',
    );
    expect(estimateText({ totals: {}, unknownCosts: 0 }, 0)).toBe('0 nodes to run');
    expect(estimateText(undefined, 4)).toBeUndefined();
  });
});
