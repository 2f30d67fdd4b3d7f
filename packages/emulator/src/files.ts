import { hashString } from './random';

/** A downloadable file (an image) under `/files/...`. */
export interface StoredFile {
  mime: string;
  /** Rendered on first download and kept: pictures are deterministic, so laziness changes nothing. */
  bytes: () => Uint8Array;
  /** Emulated ms from which the file exists (ModelsLab `future_links` 404 until the request finishes). */
  availableAt: number;
  /** Whether the URL must carry a valid `Expires` + `Signature` pair (Scenario's signed asset URLs). */
  signed: boolean;
}

/** How long a signed asset URL stays valid, in emulated ms. Scenario's real lifetime is undocumented. */
export const SIGNED_URL_TTL_MS = 60 * 60_000;

/** The emulator's file store: asset bytes served without credentials, as the vendors' CDNs do. */
export interface FileStore {
  put(path: string, file: StoredFile): void;
  get(path: string): StoredFile | undefined;
  /** The URL of a file, signed with an expiry when the file is signed. */
  url(path: string, now: number): string;
  /** Checks an `Expires`/`Signature` pair; returns why it is refused, or undefined when valid. */
  verify(path: string, expires: string | null, signature: string | null, now: number): string | undefined;
  /** The next `count` signed URLs handed out are expired already, as a URL held too long would be. */
  expireNext(count: number): void;
  clear(): void;
}

/** Creates a file store whose URLs start with `publicUrl()` (read on each call so startEmulator can set it). */
export function createFileStore(publicUrl: () => string, seed: number): FileStore {
  const files = new Map<string, StoredFile & { cached?: Uint8Array }>();
  let stale = 0;
  const sign = (path: string, expires: number) =>
    hashString(`${path}:${expires}`, seed).toString(16).padStart(8, '0') +
    hashString(`${expires}:${path}`, seed ^ 0x5bd1e995)
      .toString(16)
      .padStart(8, '0');
  return {
    put(path, file) {
      let cached: Uint8Array | undefined;
      files.set(path, {
        ...file,
        bytes: () => {
          cached ??= file.bytes();
          return cached;
        },
      });
    },
    get: (path) => files.get(path),
    url(path, now) {
      const base = `${publicUrl()}/files/${path}`;
      const file = files.get(path);
      if (!file?.signed) return base;
      const expires =
        stale > 0 && stale-- > 0 ? Math.floor(now / 1000) - 1 : Math.floor((now + SIGNED_URL_TTL_MS) / 1000);
      return `${base}?Expires=${expires}&Signature=${sign(path, expires)}`;
    },
    verify(path, expires, signature, now) {
      if (expires === null || signature === null)
        return 'The URL is missing its Expires or Signature parameter.';
      const seconds = Number(expires);
      if (!Number.isInteger(seconds) || signature !== sign(path, seconds))
        return 'The URL signature does not match.';
      if (seconds * 1000 < now) return 'The URL has expired; fetch the asset again for a fresh one.';
      return undefined;
    },
    expireNext(count) {
      stale += count;
    },
    clear() {
      stale = 0;
      files.clear();
    },
  };
}

/** A stored file as a download finds it: its bytes, or the status and text a client would get. */
export type FileLookup = { ok: true; file: StoredFile } | { ok: false; status: 403 | 404; text: string };

/**
 * Finds a file as `GET /files/<path>` would serve it at `now`: missing or not yet available is a 404,
 * a signed file with a bad or expired signature a 403.
 *
 * @example
 * const found = lookupFile(core.files, 'scenario/asset_x.png', url.searchParams, core.clock.now());
 */
export function lookupFile(files: FileStore, path: string, query: URLSearchParams, now: number): FileLookup {
  const file = files.get(path);
  if (!file || file.availableAt > now) return { ok: false, status: 404, text: 'Not Found' };
  if (file.signed) {
    const refused = files.verify(path, query.get('Expires'), query.get('Signature'), now);
    if (refused) return { ok: false, status: 403, text: refused };
  }
  return { ok: true, file };
}
