// The one capped body reader: image downloads and every JSON answer of a client read through it.

/**
 * Reads a body up to `max` bytes; undefined as soon as it grows past that (the rest is never read).
 *
 * @example
 * const bytes = await readCapped(await fetch(url), 8 * 1024 * 1024);
 * if (bytes === undefined) throw new Error('too large');
 */
export async function readCapped(res: Response, max: number): Promise<Uint8Array | undefined> {
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}
