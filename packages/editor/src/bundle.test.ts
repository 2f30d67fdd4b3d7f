import { describe, expect, it } from 'vitest';
import { bundleSize } from '../bench/measure';

describe('bundle budget', () => {
  it('keeps the editor (JS entry and stylesheet) at most 80 kB gzipped without its peers (react, react-dom, @xyflow/react, zod)', async () => {
    const size = await bundleSize();
    expect(size.entryGzipBytes).toBeGreaterThan(10_000);
    // What a host ships for the editor: the JS entry plus the stylesheet it must load.
    expect(size.cssGzipBytes).toBeGreaterThan(500);
    expect(size.entryGzipBytes + size.cssGzipBytes).toBeLessThanOrEqual(80 * 1024);
    // Auto-layout (dagre) loads on first use, outside the entry chunk.
    expect(size.lazyGzipBytes).toBeGreaterThan(0);
  });
});
