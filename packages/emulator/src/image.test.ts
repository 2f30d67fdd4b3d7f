import fc from 'fast-check';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { loraOpacity, renderPng } from './image';

const base = { prompt: 'a fox in the snow', seed: 42, width: 256, height: 256 };

function rgb(png: Uint8Array): { width: number; data: number[] } {
  const image = decode(png);
  const palette = image.palette as number[][];
  const data: number[] = [];
  for (const index of image.data) data.push(...(palette[index] as number[]));
  return { width: image.width, data };
}

function meanDifference(a: Uint8Array, b: Uint8Array): number {
  const x = rgb(a).data;
  const y = rgb(b).data;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs((x[i] as number) - (y[i] as number));
  return sum / x.length;
}

describe('generated pictures', () => {
  it('are valid PNGs of the requested size', () => {
    const image = decode(renderPng({ ...base, width: 320, height: 200 }));
    expect([image.width, image.height]).toEqual([320, 200]);
  });

  it('are byte-identical for identical inputs', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.array(fc.record({ id: fc.string(), strength: fc.double({ min: 0, max: 2, noNaN: true }) }), {
          maxLength: 3,
        }),
        (prompt, seed, loras) => {
          const spec = { prompt, seed, width: 64, height: 48, loras };
          expect(renderPng(spec)).toEqual(renderPng({ ...spec, loras: loras.map((l) => ({ ...l })) }));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('change with the prompt and with the seed', () => {
    const ref = renderPng(base);
    expect(meanDifference(ref, renderPng({ ...base, prompt: 'a lighthouse at dusk' }))).toBeGreaterThan(5);
    expect(meanDifference(ref, renderPng({ ...base, seed: 43 }))).toBeGreaterThan(1);
  });

  it('show a LoRA in proportion to its strength', () => {
    const plain = renderPng(base);
    const weak = renderPng({ ...base, loras: [{ id: 'model_flux1-watercolor', strength: 0.2 }] });
    const strong = renderPng({ ...base, loras: [{ id: 'model_flux1-watercolor', strength: 0.9 }] });
    const weakEffect = meanDifference(plain, weak);
    const strongEffect = meanDifference(plain, strong);
    expect(weakEffect).toBeGreaterThan(0.2);
    expect(strongEffect).toBeGreaterThan(weakEffect * 2);
    expect(meanDifference(weak, strong)).toBeGreaterThan(0.5);
  });

  it('give each LoRA its own mark', () => {
    const a = renderPng({ ...base, loras: [{ id: 'model_flux1-watercolor', strength: 1 }] });
    const b = renderPng({ ...base, loras: [{ id: 'model_flux1-neon-noir', strength: 1 }] });
    expect(meanDifference(a, b)).toBeGreaterThan(1);
  });

  it('grow in opacity monotonically with strength', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        (x, y) => {
          if (x < y) expect(loraOpacity(x)).toBeLessThanOrEqual(loraOpacity(y));
        },
      ),
    );
  });
});
