import fc from 'fast-check';
import { decode, encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { loraOpacity, renderPng } from './image';
import { decodeInputImage } from './input-image';

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

/** A PNG whose left half is `left` and right half `right`. */
function halves(left: number[], right: number[], width = 64, height = 48): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(i % width < width / 2 ? left : right, i * 3);
  return encode({ width, height, channels: 3, depth: 8, data });
}

/** Mean RGB of a region of a picture (columns `from`..`to` as fractions of the width). */
function meanColour(png: Uint8Array, from = 0, to = 1): number[] {
  const { width, data } = rgb(png);
  const sum = [0, 0, 0];
  let n = 0;
  for (let p = 0; p < data.length / 3; p++) {
    const x = (p % width) / width;
    if (x < from || x >= to) continue;
    for (let k = 0; k < 3; k++) sum[k] = (sum[k] as number) + (data[p * 3 + k] as number);
    n++;
  }
  return sum.map((v) => v / n);
}

describe('image-to-image pictures', () => {
  const red = decodeInputImage(halves([230, 20, 20], [230, 20, 20]), 'image');
  const blue = decodeInputImage(halves([20, 20, 230], [20, 20, 230]), 'image');
  const loras = [{ id: 'model_flux1-watercolor', strength: 0.8 }];

  it('follow the mean colour of their input', () => {
    const fromRed = meanColour(renderPng({ ...base, loras, init: { image: red, strength: 0.5 } }));
    const fromBlue = meanColour(renderPng({ ...base, loras, init: { image: blue, strength: 0.5 } }));
    // Half of a 210-level difference survives at strength 0.5, less what the LoRA band covers.
    expect((fromRed[0] as number) - (fromBlue[0] as number)).toBeGreaterThan(70);
    expect((fromBlue[2] as number) - (fromRed[2] as number)).toBeGreaterThan(70);
  });

  it('keep the input where it was: a red-left, blue-right input gives a redder left half', () => {
    const split = decodeInputImage(halves([230, 20, 20], [20, 20, 230]), 'image');
    const out = renderPng({ ...base, init: { image: split, strength: 0.4 } });
    const left = meanColour(out, 0, 0.5);
    const right = meanColour(out, 0.5, 1);
    expect((left[0] as number) - (right[0] as number)).toBeGreaterThan(80);
    expect((right[2] as number) - (left[2] as number)).toBeGreaterThan(80);
  });

  it('come closer to the input as strength falls, and ignore it at strength 1', () => {
    const distance = (strength: number) => {
      const [r, g, b] = meanColour(renderPng({ ...base, init: { image: red, strength } })) as [
        number,
        number,
        number,
      ];
      return Math.hypot(r - 230, g - 20, b - 20);
    };
    const distances = [1, 0.7, 0.4, 0.1].map(distance);
    for (let i = 1; i < distances.length; i++) expect(distances[i]).toBeLessThan(distances[i - 1] as number);
    expect(renderPng({ ...base, init: { image: red, strength: 1 } })).toEqual(renderPng(base));
  });

  it('still show each LoRA over the input', () => {
    const plain = renderPng({ ...base, init: { image: blue, strength: 0.5 } });
    const styled = renderPng({ ...base, loras, init: { image: blue, strength: 0.5 } });
    expect(meanDifference(plain, styled)).toBeGreaterThan(1);
  });
});
