import { lookupFile } from '../files';
import { decodeBase64, MAX_IMAGE_BYTES, parseDataUrl } from '../input-image';
import { isLoopback } from '../webhooks';
import { type C, type ModelsLabApi, refuse } from './http';

const WHERE =
  'init_image must be a file URL of this emulator (…/files/…), a data: URL or a blob: URL; the emulator fetches no other host';

/** A `blob:` URL's bytes: in-memory objects of this page or process, never the network. */
async function readBlob(url: URL): Promise<Uint8Array> {
  let bytes: Uint8Array | undefined;
  try {
    const res = await fetch(url);
    if (res.ok) bytes = new Uint8Array(await res.arrayBuffer());
  } catch {
    bytes = undefined;
  }
  if (!bytes) return refuse('init_image could not be read: the blob: URL is unknown or revoked');
  return bytes;
}

/**
 * The bytes of a ModelsLab `init_image`. The vendor downloads any public URL; the emulator only
 * reads what cannot leave the machine: its own `/files/…` (on its public origin, the request's, or
 * any loopback one; read from the store, no request is made), a `data:` URL, a `blob:` URL, or bare
 * base64 when the request says `base64: "yes"` (as the docs allow).
 */
export async function readInitImage(
  c: C,
  api: ModelsLabApi,
  value: string,
  base64: boolean,
): Promise<Uint8Array> {
  const bytes = await readSource(c, api, value, base64);
  if (bytes.length > MAX_IMAGE_BYTES) refuse('init_image must be at most 20 MB');
  return bytes;
}

async function readSource(c: C, api: ModelsLabApi, value: string, base64: boolean): Promise<Uint8Array> {
  if (value.startsWith('data:')) {
    return (
      parseDataUrl(value)?.bytes ?? refuse('init_image must be a base64 data: URL when it is a data: URL')
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const decoded = base64 ? decodeBase64(value) : undefined;
    return decoded ?? refuse(WHERE);
  }
  if (url.protocol === 'blob:') return readBlob(url);
  // Loopback origins count as ours: a persisted request replayed after a restart names the old port.
  const own = new Set([new URL(api.core.publicUrl()).origin, new URL(c.req.url).origin]);
  const ours = own.has(url.origin) || isLoopback(url.href);
  if (!ours || !url.pathname.startsWith('/files/')) return refuse(WHERE);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname.slice('/files/'.length));
  } catch {
    return refuse(WHERE);
  }
  const found = lookupFile(api.core.files, path, url.searchParams, api.now());
  if (!found.ok) return refuse(`init_image could not be downloaded: HTTP ${found.status} (${found.text})`);
  return found.file.bytes();
}
