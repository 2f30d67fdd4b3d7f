import { sniffImageType } from '@loraflow/core';
import { useEffect, useState } from 'react';
import type { EditorRuntime } from './runtime-types';

/**
 * A content-addressed blob reference found in a node's outputs.
 *
 * @example
 * const ref: ImageRef = { hash: entry.$blob, mime: entry.mime };
 */
export interface ImageRef {
  hash: string;
  mime: string;
}

/**
 * Every image blob reference (`{ $blob, mime: 'image/…' }`) inside a node's outputs, in order, without repeats.
 *
 * @example
 * findImages({ images: [{ $blob: 'ab…', mime: 'image/png', size: 1 }] }); // [{ hash: 'ab…', mime: 'image/png' }]
 */
export function findImages(value: unknown, limit = 8): ImageRef[] {
  const found: ImageRef[] = [];
  const seen = new Set<string>();
  const visit = (v: unknown, depth: number) => {
    if (found.length >= limit || depth > 6 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const item of v) visit(item, depth + 1);
      return;
    }
    const record = v as Record<string, unknown>;
    if (typeof record.$blob === 'string' && typeof record.mime === 'string') {
      if (
        /^[0-9a-f]{64}$/.test(record.$blob) &&
        record.mime.startsWith('image/') &&
        !seen.has(record.$blob)
      ) {
        seen.add(record.$blob);
        found.push({ hash: record.$blob, mime: record.mime });
      }
      return;
    }
    for (const item of Object.values(record)) visit(item, depth + 1);
  };
  visit(value, 0);
  return found;
}

/**
 * An object URL for image bytes when they are PNG, JPEG or WebP, else undefined: every picture the editor shows
 * (run outputs, model thumbnails) goes through here.
 *
 * @example
 * const src = rasterObjectUrl(await runtime.getBlob(hash));
 */
export function rasterObjectUrl(bytes: Uint8Array | undefined): string | undefined {
  // The type comes from the bytes, never a label: an SVG opened from a blob: URL runs in the host's origin.
  const type = bytes && sniffImageType(bytes);
  return type ? URL.createObjectURL(new Blob([bytes as BlobPart], { type })) : undefined;
}

// Object URLs are kept per runtime and key: a re-render or a second node showing the same image reuses it.
const urls = new WeakMap<EditorRuntime, Map<string, Promise<string | undefined>>>();

/**
 * The object URL of raster bytes the runtime gives under `key` (a blob hash, a model thumbnail), loaded once.
 *
 * @example
 * const src = await objectUrlOnce(runtime, `thumb:${ref}`, () => runtime.modelThumbnail!(ref));
 */
export function objectUrlOnce(
  runtime: EditorRuntime,
  key: string,
  load: () => Promise<Uint8Array | undefined>,
): Promise<string | undefined> {
  let byKey = urls.get(runtime);
  if (!byKey) {
    byKey = new Map();
    urls.set(runtime, byKey);
  }
  let url = byKey.get(key);
  if (!url) {
    const forget = () => {
      byKey.delete(key);
      return undefined;
    };
    // a refusal or a missing blob (a network blip, a run still storing it) is asked again next time, never kept
    url = load().then((bytes) => (bytes ? rasterObjectUrl(bytes) : forget()), forget);
    byKey.set(key, url);
  }
  return url;
}

/** The object URL of a blob from the runtime, loaded once. */
export function blobUrl(runtime: EditorRuntime, ref: ImageRef): Promise<string | undefined> {
  return objectUrlOnce(runtime, ref.hash, () => runtime.getBlob(ref.hash));
}

/**
 * The object URL of an image blob, or undefined while it loads or when the runtime has none.
 *
 * @example
 * const src = useBlobUrl(runtime, { hash, mime: 'image/png' });
 */
export function useBlobUrl(runtime: EditorRuntime | undefined, ref: ImageRef): string | undefined {
  const [url, setUrl] = useState<string | undefined>(undefined);
  const { hash, mime } = ref;
  useEffect(() => {
    let live = true;
    if (runtime) void blobUrl(runtime, { hash, mime }).then((u) => live && setUrl(u));
    return () => {
      live = false;
    };
  }, [runtime, hash, mime]);
  return url;
}
