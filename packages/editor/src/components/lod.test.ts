import { describe, expect, it } from 'vitest';
import { gridDocument, pipelineDocument } from '../test/graphs';
import { COMPACT_BELOW_ZOOM, estimateViewport } from './lod';

describe('estimateViewport', () => {
  it('zooms a 1,000-node grid out below the compact threshold and centres it', () => {
    const v = estimateViewport(gridDocument(1000), { width: 1280, height: 720 }, 0.05)!;
    expect(v.zoom).toBeLessThan(COMPACT_BELOW_ZOOM);
    expect(v.zoom).toBeGreaterThanOrEqual(0.05);
    // The grid's centre lands on the canvas's centre.
    const doc = gridDocument(1000);
    const xs = doc.nodes.map((n) => n.position!.x);
    const centre = (Math.min(...xs) + Math.max(...xs) + 220) / 2;
    expect(centre * v.zoom + v.x).toBeCloseTo(640);
  });

  it('keeps a small pipeline at full detail and never zooms past 2', () => {
    expect(estimateViewport(pipelineDocument, { width: 1280, height: 720 }, 0.05)!.zoom).toBeGreaterThan(
      COMPACT_BELOW_ZOOM,
    );
    const one = { nodes: [{ id: 'a', type: 't', params: {}, position: { x: 0, y: 0 } }] };
    expect(estimateViewport(one, { width: 4000, height: 4000 }, 0.05)!.zoom).toBe(2);
  });

  it('has no estimate for an empty document or a canvas without a size', () => {
    expect(estimateViewport({ nodes: [] }, { width: 800, height: 600 }, 0.05)).toBeUndefined();
    expect(estimateViewport(pipelineDocument, { width: 0, height: 0 }, 0.05)).toBeUndefined();
  });
});
