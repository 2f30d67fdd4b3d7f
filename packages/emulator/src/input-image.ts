import { type DecodedPng, decode } from 'fast-png';

/** Formats the emulator recognises by their first bytes. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** The largest upload or input image, in bytes (the vendors' documented upload limit is of this order). */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/** The most pixels of an input image the emulator decodes (2048 × 2048, Scenario's largest output). */
export const MAX_INPUT_PIXELS = 2048 * 2048;

/** Cells per side of the reduced copy an output is blended with; the renderer's grid is no finer. */
const CELLS = 128;

/**
 * An input image reduced to what a derived picture needs: its size and a grid of mean colours.
 *
 * @example
 * const input: InputImage = decodeInputImage(pngBytes, 'init_image');
 * input.width; // the original width in pixels
 */
export interface InputImage {
  width: number;
  height: number;
  cols: number;
  rows: number;
  /** `cols × rows` RGB triples, 0..255, alpha composited over white. */
  rgb: Float32Array;
}

/**
 * A refused input image; the message is one sentence for the vendor's error body.
 *
 * @example
 * try { decodeInputImage(bytes, 'image'); } catch (e) { if (e instanceof InputImageError) answer(e.message); }
 */
export class InputImageError extends Error {}

/** The format of `bytes` by its signature, if it is one the emulator recognises. */
export function sniffImage(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length >= 12 && tag(0) === 'RIFF' && tag(8) === 'WEBP') return 'webp';
  return undefined;
}

/** Decodes base64 (whitespace allowed); undefined when it is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text.replace(/\s/g, '')), (ch) => ch.charCodeAt(0));
  } catch {
    return undefined;
  }
}

const DATA_URL = /^data:([a-z]+\/[a-z0-9.+-]+)?(?:;[a-z-]+=[^;,]*)*;base64,([A-Za-z0-9+/=\s]*)$/i;

/** The bytes and declared type of a base64 `data:` URL; undefined when `text` is not one. */
export function parseDataUrl(text: string): { mime: string; bytes: Uint8Array } | undefined {
  const match = DATA_URL.exec(text);
  if (!match) return undefined;
  const bytes = decodeBase64(match[2] as string);
  return bytes ? { mime: (match[1] ?? 'application/octet-stream').toLowerCase(), bytes } : undefined;
}

/** Width and height from a PNG header, when the bytes are a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (sniffImage(bytes) !== 'png' || bytes.length < 24) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * Decodes a PNG input image into an {@link InputImage}. The emulator reads PNG only: a JPEG, a WebP
 * or anything else is refused with a sentence naming `field`, as is a PNG above {@link MAX_INPUT_PIXELS}.
 *
 * @example
 * const input = decodeInputImage(renderPng({ prompt: 'a fox', seed: 1, width: 64, height: 64 }), 'init_image');
 */
export function decodeInputImage(bytes: Uint8Array, field: string): InputImage {
  const format = sniffImage(bytes);
  if (format !== 'png') {
    const what = format === undefined ? 'not a PNG or JPEG image' : `a ${format.toUpperCase()} image`;
    throw new InputImageError(`${field} is ${what}; the emulator reads PNG input images only`);
  }
  if (bytes.length > MAX_IMAGE_BYTES) throw new InputImageError(`${field} must be at most 20 MB`);
  const size = pngSize(bytes) as { width: number; height: number };
  // Checked from the header before decoding, so a small file cannot make the decoder allocate gigabytes.
  if (size.width * size.height > MAX_INPUT_PIXELS || size.width === 0 || size.height === 0) {
    throw new InputImageError(
      `${field} must be between 1 and ${MAX_INPUT_PIXELS} pixels (2048 × 2048); it is ${size.width} × ${size.height}`,
    );
  }
  let png: DecodedPng;
  try {
    png = decode(bytes);
  } catch {
    throw new InputImageError(`${field} is not a readable PNG image`);
  }
  return reduce(png);
}

/** Reads one decoded sample as 0..255, whatever the PNG's colour type, bit depth and packing. */
function sampler(png: DecodedPng): { channels: number; at: (x: number, y: number, k: number) => number } {
  const { depth, data, width, palette } = png;
  const stored = palette ? 1 : png.channels;
  // Samples below 8 bits are packed into bytes, rows padded to a whole byte.
  const rowBytes = Math.ceil((width * stored * depth) / 8);
  const max = (1 << depth) - 1;
  const raw = (x: number, y: number, k: number): number => {
    if (depth >= 8) return data[(y * width + x) * stored + k] as number;
    const bit = (x * stored + k) * depth;
    return ((data[y * rowBytes + (bit >> 3)] as number) >> (8 - depth - (bit & 7))) & max;
  };
  if (palette) {
    // Looked up per sample: converting the whole picture first would cost a pass over every pixel.
    const black = [0, 0, 0, 255];
    return {
      channels: palette[0]?.length ?? 3,
      at: (x, y, k) => (palette[raw(x, y, 0)] ?? black)[k] as number,
    };
  }
  const scale = depth === 16 ? 1 / 257 : 255 / max;
  return { channels: stored, at: (x, y, k) => raw(x, y, k) * scale };
}

// Each cell averages a few evenly spaced samples: the cost is bounded by the grid, not the picture.
const SAMPLES = 4;

function reduce(png: DecodedPng): InputImage {
  const { width, height } = png;
  const cols = Math.min(CELLS, width);
  const rows = Math.min(CELLS, height);
  const { channels, at } = sampler(png);
  const rgb = new Float32Array(cols * rows * 3);
  const colour = channels >= 3;
  const alpha = channels === 2 || channels === 4;
  for (let cy = 0; cy < rows; cy++) {
    for (let cx = 0; cx < cols; cx++) {
      const sum = [0, 0, 0];
      for (let sy = 0; sy < SAMPLES; sy++) {
        const y = Math.min(height - 1, Math.floor(((cy + (sy + 0.5) / SAMPLES) * height) / rows));
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = Math.min(width - 1, Math.floor(((cx + (sx + 0.5) / SAMPLES) * width) / cols));
          const a = alpha ? at(x, y, channels - 1) / 255 : 1;
          for (let k = 0; k < 3; k++) {
            const v = at(x, y, colour ? k : 0);
            sum[k] = (sum[k] as number) + v * a + 255 * (1 - a);
          }
        }
      }
      const i = (cy * cols + cx) * 3;
      for (let k = 0; k < 3; k++) rgb[i + k] = (sum[k] as number) / (SAMPLES * SAMPLES);
    }
  }
  return { width, height, cols, rows, rgb };
}

/**
 * An output size derived from an input's: scaled down to fit `max` per side (never up), rounded to
 * `multiple` and kept within `min`.
 *
 * @example
 * fitSize(3000, 1500, { min: 256, max: 1024, multiple: 8 }); // { width: 1024, height: 512 }
 */
export function fitSize(
  width: number,
  height: number,
  limits: { min: number; max: number; multiple: number },
): { width: number; height: number } {
  const scale = Math.min(1, limits.max / Math.max(width, height));
  const side = (v: number) => {
    const rounded = Math.round((v * scale) / limits.multiple) * limits.multiple;
    return Math.min(limits.max, Math.max(limits.min, rounded));
  };
  return { width: side(width), height: side(height) };
}
