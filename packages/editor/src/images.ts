import { sniffImageType } from '@loraflow/core';
import { useEffect, useRef, useState } from 'react';
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

/**
 * How many object URLs that no image shows any more are kept per runtime (least recently shown revoked first): an
 * image that comes back (a panel reopened, the viewer stepping back) reuses its URL, and a long session stays bounded.
 */
export const IDLE_OBJECT_URLS = 64;

interface UrlEntry {
  url: Promise<string | undefined>;
  users: number;
}

// Per runtime: every URL by key, and the ones no image shows, oldest first (a Map keeps insertion order).
interface UrlCache {
  all: Map<string, UrlEntry>;
  idle: Map<string, UrlEntry>;
}
const caches = new WeakMap<EditorRuntime, UrlCache>();

const revoke = (entry: UrlEntry) =>
  void entry.url.then((u) => {
    if (u) URL.revokeObjectURL(u);
  });

/**
 * The object URL of raster bytes the runtime gives under `key` (a blob hash, a model thumbnail), shared by every
 * image that shows it: loaded once, and revoked once it has been released by all of them and then pushed out of the
 * last {@link IDLE_OBJECT_URLS} idle ones. Call `release` when the image leaves (a component's unmount).
 *
 * @example
 * const { url, release } = acquireObjectUrl(runtime, `thumbnail:${ref}`, () => runtime.modelThumbnail!(ref));
 * img.src = (await url) ?? '';
 * release(); // when the image is gone
 */
export function acquireObjectUrl(
  runtime: EditorRuntime,
  key: string,
  load: () => Promise<Uint8Array | undefined>,
): { url: Promise<string | undefined>; release(): void } {
  let cache = caches.get(runtime);
  if (!cache) {
    cache = { all: new Map(), idle: new Map() };
    caches.set(runtime, cache);
  }
  const { all, idle } = cache;
  let entry = all.get(key);
  if (!entry) {
    const made: UrlEntry = { url: Promise.resolve(undefined), users: 0 };
    const forget = () => {
      if (all.get(key) === made) all.delete(key);
      idle.delete(key);
      return undefined;
    };
    // a refusal or a missing blob (a network blip, a run still storing it) is asked again next time, never kept
    made.url = load().then((bytes) => (bytes ? rasterObjectUrl(bytes) : forget()), forget);
    all.set(key, made);
    entry = made;
  }
  const held = entry;
  held.users++;
  idle.delete(key);
  let released = false;
  return {
    url: held.url,
    release() {
      if (released) return;
      released = true;
      held.users--;
      if (held.users > 0 || all.get(key) !== held) return;
      idle.set(key, held);
      for (const [oldKey, old] of idle) {
        if (idle.size <= IDLE_OBJECT_URLS) break;
        idle.delete(oldKey);
        all.delete(oldKey);
        revoke(old);
      }
    },
  };
}

/**
 * An object URL from the runtime for as long as the calling component shows it (see {@link acquireObjectUrl}),
 * undefined while it loads, when `key` is undefined, or when the bytes are not a raster image.
 *
 * @example
 * const src = useObjectUrl(runtime, `thumbnail:${ref}`, () => runtime.modelThumbnail!(ref));
 */
export function useObjectUrl(
  runtime: EditorRuntime | undefined,
  key: string | undefined,
  load: () => Promise<Uint8Array | undefined>,
): string | undefined {
  const [shown, setShown] = useState<{ key: string; url: string | undefined } | undefined>(undefined);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    if (!runtime || key === undefined) return;
    let live = true;
    const held = acquireObjectUrl(runtime, key, () => loader.current());
    void held.url.then((url) => live && setShown({ key, url }));
    return () => {
      live = false;
      held.release();
    };
  }, [runtime, key]);
  // never the URL of the key before: it may be revoked by now
  return shown !== undefined && shown.key === key ? shown.url : undefined;
}

/**
 * The object URL of an image blob, or undefined while it loads or when the runtime has none; released when the
 * component unmounts or shows another image.
 *
 * @example
 * const src = useBlobUrl(runtime, { hash, mime: 'image/png' });
 */
export function useBlobUrl(runtime: EditorRuntime | undefined, ref: ImageRef): string | undefined {
  const { hash } = ref;
  return useObjectUrl(runtime, hash === '' ? undefined : hash, async () => runtime?.getBlob(hash));
}

/**
 * The object URL of a model's picture from `runtime.modelThumbnail` (sniffed bytes only), for as long as the calling
 * component shows it; undefined without a ref or a `modelThumbnail`.
 *
 * @example
 * const src = useModelThumbnailUrl(runtime, 'scenario:model_ink');
 */
export function useModelThumbnailUrl(runtime: EditorRuntime | undefined, ref: string | undefined) {
  const load = runtime?.modelThumbnail;
  return useObjectUrl(
    load ? runtime : undefined,
    ref === undefined ? undefined : `thumbnail:${ref}`,
    async () => (ref === undefined ? undefined : load?.call(runtime, ref)),
  );
}
