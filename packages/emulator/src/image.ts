import { encode } from 'fast-png';
import type { InputImage } from './input-image';
import { createRandom, hashString } from './random';

/**
 * What a picture is a function of: the same inputs always give the same PNG bytes.
 *
 * @example
 * const spec: ImageSpec = { prompt: 'a fox', seed: 1, width: 512, height: 512, loras: [{ id: 'model_x', strength: 0.8 }] };
 */
export interface ImageSpec {
  prompt: string;
  seed: number;
  width: number;
  height: number;
  /** Each LoRA adds a band in a colour derived from its id; `strength` sets how strongly it shows. */
  loras?: ReadonlyArray<{ id: string; strength: number }>;
  /** Distinguishes several outputs of one request. */
  index?: number;
  /**
   * Image-to-image: the picture starts from this input, and `strength` (0..1, the vendors' meaning:
   * 1 erases the input) is the weight of the generated scene over it; LoRA bands are drawn on top.
   */
  init?: { image: InputImage; strength: number };
}

// Pixel work is capped: the scene is drawn on a grid of at most this many cells per side and scaled up.
const MAX_GRID = 128;

type Rgb = [number, number, number];

function colourFrom(hash: number): Rgb {
  // HSV with full saturation so that every LoRA colour is distinct from a grey-ish background.
  const h = (hash % 360) / 60;
  const s = 0.55 + ((hash >>> 9) % 40) / 100;
  const v = 0.65 + ((hash >>> 17) % 35) / 100;
  const c = v * s;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const m = v - c;
  const [r, g, b] =
    h < 1
      ? [c, x, 0]
      : h < 2
        ? [x, c, 0]
        : h < 3
          ? [0, c, x]
          : h < 4
            ? [0, x, c]
            : h < 5
              ? [x, 0, c]
              : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/**
 * How visible a LoRA is at a given strength: 0 at 0, about 0.21 at 0.2, 0.66 at 0.9, 0.91 at 2.
 *
 * @example
 * loraOpacity(0.9) > loraOpacity(0.2); // true
 */
export function loraOpacity(strength: number): number {
  return 1 - Math.exp(-1.2 * Math.min(Math.abs(strength), 2));
}

/**
 * Renders the deterministic picture for a generation as palette indices (one byte per pixel).
 *
 * @example
 * const { data } = renderIndexed({ prompt: 'a fox', seed: 1, width: 64, height: 64 });
 * data.length; // 64 * 64
 */
export function renderIndexed(spec: ImageSpec): { width: number; height: number; data: Uint8Array } {
  const { width, height } = spec;
  const scale = Math.max(1, Math.ceil(Math.max(width, height) / MAX_GRID));
  const gw = Math.ceil(width / scale);
  const gh = Math.ceil(height / scale);
  const grid = new Float32Array(gw * gh * 3);

  const promptHash = hashString(spec.prompt);
  const sceneHash = hashString(`${spec.prompt}\u0000${spec.seed}\u0000${spec.index ?? 0}`);
  const top = colourFrom(promptHash);
  const bottom = colourFrom(sceneHash);
  for (let y = 0; y < gh; y++) {
    const t = gh > 1 ? y / (gh - 1) : 0;
    for (let x = 0; x < gw; x++) {
      const i = (y * gw + x) * 3;
      for (let k = 0; k < 3; k++) grid[i + k] = (top[k] as number) * (1 - t) + (bottom[k] as number) * t;
    }
  }

  // The seed places a few discs, so two seeds of one prompt differ while keeping its palette.
  const random = createRandom(sceneHash);
  for (let d = 0; d < 3; d++) {
    const cx = random() * gw;
    const cy = random() * gh;
    const r = (0.08 + random() * 0.18) * Math.min(gw, gh);
    const colour = colourFrom(Math.floor(random() * 0xffffffff));
    const box = { x0: cx - r, x1: cx + r + 1, y0: cy - r, y1: cy + r + 1 };
    paint(grid, gw, gh, box, 0.85, colour, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r);
  }

  if (spec.init) blendInput(grid, gw, gh, spec.init.image, spec.init.strength);

  for (const lora of spec.loras ?? []) {
    const h = hashString(lora.id);
    const colour = colourFrom(h);
    const centre = ((h >>> 8) % 1000) / 1000;
    const half = Math.max(1, gh / 12);
    const cy = centre * gh;
    const period = 4 + ((h >>> 20) % 6);
    // A horizontal band with diagonal stripes: visible, and specific to this LoRA's id.
    const box = { x0: 0, x1: gw, y0: cy - half, y1: cy + half + 1 };
    paint(grid, gw, gh, box, loraOpacity(lora.strength), colour, (x, y) => {
      if (Math.abs(y - cy) > half) return false;
      return Math.floor((x + y) / period) % 3 !== 0;
    });
  }

  return { width, height, data: indexed(grid, gw, scale, width, height) };
}

// A 6×7×6 colour cube (252 entries) with ordered dithering: one byte per pixel keeps PNG encoding
// to a few milliseconds, and dithering keeps average colours exact so LoRA strength stays measurable.
const LEVELS: Rgb = [6, 7, 6];
const PALETTE: number[][] = [];
for (let r = 0; r < LEVELS[0]; r++) {
  for (let g = 0; g < LEVELS[1]; g++) {
    for (let b = 0; b < LEVELS[2]; b++) {
      PALETTE.push([
        Math.round((r * 255) / (LEVELS[0] - 1)),
        Math.round((g * 255) / (LEVELS[1] - 1)),
        Math.round((b * 255) / (LEVELS[2] - 1)),
      ]);
    }
  }
}
const BAYER = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5].map((v) => (v + 0.5) / 16);

function indexed(grid: Float32Array, gw: number, scale: number, width: number, height: number): Uint8Array {
  const gh = grid.length / 3 / gw;
  const s0 = LEVELS[0] - 1;
  const s1 = LEVELS[1] - 1;
  const s2 = LEVELS[2] - 1;
  // Dither once per grid cell, then scale up by copying: the per-pixel work is a memory copy.
  const cells = new Uint8Array(gw * gh);
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      const threshold = BAYER[((y & 3) << 2) | (x & 3)] as number;
      const src = (y * gw + x) * 3;
      const r = Math.min(s0, Math.floor(((grid[src] as number) * s0) / 255 + threshold));
      const g = Math.min(s1, Math.floor(((grid[src + 1] as number) * s1) / 255 + threshold));
      const b = Math.min(s2, Math.floor(((grid[src + 2] as number) * s2) / 255 + threshold));
      cells[y * gw + x] = (r * LEVELS[1] + g) * LEVELS[2] + b;
    }
  }
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    if (y % scale !== 0) {
      out.copyWithin(y * width, (y - 1) * width, y * width);
      continue;
    }
    const row = Math.floor(y / scale) * gw;
    for (let x = 0; x < width; x++) out[y * width + x] = cells[row + Math.floor(x / scale)] as number;
  }
  return out;
}

/** Mixes the input's colours under the scene: `strength` of the scene, the rest of the input. */
function blendInput(grid: Float32Array, gw: number, gh: number, input: InputImage, strength: number): void {
  const keep = 1 - Math.min(1, Math.max(0, strength));
  if (keep <= 0) return;
  for (let y = 0; y < gh; y++) {
    const row = Math.min(input.rows - 1, Math.floor((y * input.rows) / gh)) * input.cols;
    for (let x = 0; x < gw; x++) {
      const src = (row + Math.min(input.cols - 1, Math.floor((x * input.cols) / gw))) * 3;
      const i = (y * gw + x) * 3;
      for (let k = 0; k < 3; k++) {
        grid[i + k] = (grid[i + k] as number) * (1 - keep) + (input.rgb[src + k] as number) * keep;
      }
    }
  }
}

function paint(
  grid: Float32Array,
  gw: number,
  gh: number,
  box: { x0: number; x1: number; y0: number; y1: number },
  alpha: number,
  colour: Rgb,
  inside: (x: number, y: number) => boolean,
): void {
  if (alpha <= 0) return;
  const y1 = Math.min(gh, Math.ceil(box.y1));
  const x1 = Math.min(gw, Math.ceil(box.x1));
  for (let y = Math.max(0, Math.floor(box.y0)); y < y1; y++) {
    for (let x = Math.max(0, Math.floor(box.x0)); x < x1; x++) {
      if (!inside(x, y)) continue;
      const i = (y * gw + x) * 3;
      for (let k = 0; k < 3; k++) {
        grid[i + k] = (grid[i + k] as number) * (1 - alpha) + (colour[k] as number) * alpha;
      }
    }
  }
}

/**
 * Renders and encodes the picture as a PNG.
 *
 * @example
 * const png = renderPng({ prompt: 'a fox', seed: 7, width: 512, height: 512,
 *   loras: [{ id: 'model_flux1-watercolor', strength: 0.8 }] });
 * png[1] === 0x50; // 'P' of the PNG signature
 */
export function renderPng(spec: ImageSpec): Uint8Array {
  const pixels = renderIndexed(spec);
  return encode(
    {
      width: pixels.width,
      height: pixels.height,
      data: pixels.data,
      channels: 1,
      depth: 8,
      palette: PALETTE,
    },
    { zlib: { level: 1 } },
  );
}
