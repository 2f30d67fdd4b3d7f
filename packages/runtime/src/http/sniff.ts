import { sniffImageType } from '@loraflow/core';

/**
 * The type a stored blob is served with: PNG, JPEG or WebP from its first bytes, anything else as
 * opaque bytes (an SVG or HTML blob must never render in the host's origin).
 */
export function sniffMime(bytes: Uint8Array): string {
  return sniffImageType(bytes) ?? 'application/octet-stream';
}
