import { decode } from 'fast-png';

/**
 * A readable image's format and size.
 *
 * @example
 * const info: ImageInfo = { mime: 'image/png', width: 512, height: 512 };
 */
export interface ImageInfo {
  mime: 'image/png' | 'image/jpeg' | 'image/webp';
  width: number;
  height: number;
}

/**
 * The answer of {@link inspectImage}: the image's facts, or why it cannot be used.
 *
 * @example
 * const check: ImageCheck = inspectImage(bytes); if (check.ok) check.info.width;
 */
export type ImageCheck = { ok: true; info: ImageInfo } | { ok: false; reason: string };

const MAX_SIDE = 16_384;

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (b: Uint8Array, at: number, n: number): string =>
  String.fromCharCode(...b.subarray(at, Math.min(b.length, at + n)));
const u16be = (b: Uint8Array, at: number): number => ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
const u16le = (b: Uint8Array, at: number): number => (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
const u24le = (b: Uint8Array, at: number): number => u16le(b, at) | ((b[at + 2] ?? 0) << 16);

function sized(mime: ImageInfo['mime'], width: number, height: number): ImageCheck {
  if (!(width > 0 && height > 0)) return { ok: false, reason: `the ${mime} header gives no size` };
  if (width > MAX_SIDE || height > MAX_SIDE) {
    return { ok: false, reason: `it is ${width}×${height} pixels, larger than ${MAX_SIDE} on a side` };
  }
  return { ok: true, info: { mime, width, height } };
}

function png(bytes: Uint8Array): ImageCheck {
  try {
    // A full decode proves the compressed data and checksums are sound, not just the header.
    const image = decode(bytes);
    return sized('image/png', image.width, image.height);
  } catch (error) {
    return {
      ok: false,
      reason: `the PNG does not decode (${error instanceof Error ? error.message : String(error)})`,
    };
  }
}

function jpeg(bytes: Uint8Array): ImageCheck {
  // Walk the marker segments to the frame header (SOF0..SOF15 except DHT, JPG and DAC).
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return { ok: false, reason: 'the JPEG marker structure is broken' };
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break;
    const length = u16be(bytes, at + 2);
    if (length < 2) return { ok: false, reason: 'the JPEG marker structure is broken' };
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (at + 9 > bytes.length) break;
      return sized('image/jpeg', u16be(bytes, at + 7), u16be(bytes, at + 5));
    }
    at += 2 + length;
  }
  return { ok: false, reason: 'the JPEG has no frame header before its image data' };
}

function webp(bytes: Uint8Array): ImageCheck {
  const chunk = ascii(bytes, 12, 4);
  if (chunk === 'VP8 ' && bytes.length >= 30) {
    if (!startsWith(bytes, [0x9d, 0x01, 0x2a], 23))
      return { ok: false, reason: 'the WebP (VP8) frame tag is missing' };
    return sized('image/webp', u16le(bytes, 26) & 0x3fff, u16le(bytes, 28) & 0x3fff);
  }
  if (chunk === 'VP8L' && bytes.length >= 25) {
    if (bytes[20] !== 0x2f) return { ok: false, reason: 'the WebP (lossless) signature is missing' };
    const b1 = bytes[21] ?? 0;
    const b2 = bytes[22] ?? 0;
    const b3 = bytes[23] ?? 0;
    const b4 = bytes[24] ?? 0;
    const width = 1 + (((b2 & 0x3f) << 8) | b1);
    const height = 1 + (((b4 & 0x0f) << 10) | (b3 << 2) | ((b2 & 0xc0) >> 6));
    return sized('image/webp', width, height);
  }
  if (chunk === 'VP8X' && bytes.length >= 30) {
    return sized('image/webp', 1 + u24le(bytes, 24), 1 + u24le(bytes, 27));
  }
  return { ok: false, reason: 'the WebP has no image chunk loraflow can read' };
}

/**
 * Checks that bytes are an image a provider can train on: PNG (fully decoded), JPEG or WebP
 * (header and dimensions). Never throws, whatever the bytes.
 *
 * @example
 * const check = inspectImage(bytes);
 * if (!check.ok) throw new Error(`image 3: ${check.reason}`);
 * check.info; // { mime: 'image/png', width: 512, height: 512 }
 */
export function inspectImage(bytes: Uint8Array): ImageCheck {
  if (bytes.length === 0) return { ok: false, reason: 'it is empty' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return png(bytes);
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return jpeg(bytes);
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return webp(bytes);
  return { ok: false, reason: 'it is not a PNG, JPEG or WebP image' };
}

/**
 * Decodes a `data:` URL into bytes and its declared type, or explains why it cannot.
 *
 * @example
 * parseDataUrl('data:image/png;base64,iVBORw0KGgo='); // { ok: true, mime: 'image/png', bytes: Uint8Array(8) }
 */
export function parseDataUrl(
  url: string,
): { ok: true; mime: string; bytes: Uint8Array } | { ok: false; reason: string } {
  const match = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)?((?:;[a-z0-9-]+=[^;,]*)*)(;base64)?,(.*)$/is.exec(url);
  if (!match) return { ok: false, reason: 'it is not a data: URL' };
  const mime = (match[1] ?? 'text/plain').toLowerCase();
  const payload = match[4] ?? '';
  if (!match[3]) {
    try {
      return { ok: true, mime, bytes: new TextEncoder().encode(decodeURIComponent(payload)) };
    } catch {
      return { ok: false, reason: 'its percent-encoding is broken' };
    }
  }
  const clean = payload.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
    return { ok: false, reason: 'its base64 payload is not valid base64' };
  }
  let binary: string;
  try {
    binary = atob(clean.padEnd(Math.ceil(clean.length / 4) * 4, '='));
  } catch {
    // atob is the judge of padding corner cases (e.g. "/=") the pattern above lets through
    return { ok: false, reason: 'its base64 payload is not valid base64' };
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return { ok: true, mime, bytes };
}

/**
 * Encodes bytes as a base64 `data:` URL (what Scenario's training-image upload takes).
 *
 * @example
 * toDataUrl(new Uint8Array([1, 2, 3]), 'image/png'); // 'data:image/png;base64,AQID'
 */
export function toDataUrl(bytes: Uint8Array, mime: string): string {
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) binary += String.fromCharCode(...bytes.subarray(i, i + step));
  return `data:${mime};base64,${btoa(binary)}`;
}
