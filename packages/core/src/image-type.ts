/**
 * The image formats loraflow stores and shows: the ones a browser renders without running anything.
 *
 * @example
 * const mime: ImageMime = 'image/webp';
 */
export type ImageMime = 'image/png' | 'image/jpeg' | 'image/webp';

const startsWith = (bytes: Uint8Array, signature: readonly number[], at = 0): boolean =>
  bytes.length >= at + signature.length && signature.every((b, i) => bytes[at + i] === b);

/**
 * The format of an image from its first bytes (magic numbers), or undefined for anything that is
 * not PNG, JPEG or WebP: what a server claims in Content-Type is never trusted (an SVG runs script).
 *
 * @example
 * sniffImageType(bytes); // 'image/png' | 'image/jpeg' | 'image/webp' | undefined
 */
export function sniffImageType(bytes: Uint8Array): ImageMime | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  // RIFF, a 4-byte size, then WEBP.
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) {
    return 'image/webp';
  }
  return undefined;
}
