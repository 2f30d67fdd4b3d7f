import { describe, expect, it } from 'vitest';
import { bundleSize } from '../bench/measure';

describe('bundle budget', () => {
  it('keeps the editor at most 80 kB gzipped without its peers (react, react-dom, @xyflow/react, zod)', async () => {
    const size = await bundleSize();
    expect(size.entryGzipBytes).toBeGreaterThan(10_000);
    expect(size.entryGzipBytes).toBeLessThanOrEqual(80 * 1024);
    // Auto-layout (dagre) loads on first use, outside the entry chunk.
    expect(size.lazyGzipBytes).toBeGreaterThan(0);
  }, 120_000);
});
