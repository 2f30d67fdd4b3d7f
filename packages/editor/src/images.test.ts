import { resolveObjectURL } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { acquireObjectUrl, IDLE_OBJECT_URLS } from './images';
import type { EditorRuntime } from './runtime-types';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
const SVG = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');

function runtimeWith(blobs: Record<string, Uint8Array>): EditorRuntime {
  return { getBlob: async (hash: string) => blobs[hash] } as unknown as EditorRuntime;
}
const blobOf = (runtime: EditorRuntime, hash: string) =>
  acquireObjectUrl(runtime, hash, () => runtime.getBlob(hash));
// a revoked object URL no longer resolves to its Blob
const alive = (url: string) => resolveObjectURL(url) !== undefined;

describe('blob URLs for images', () => {
  it('are made only for PNG, JPEG or WebP bytes, with the type the bytes show, whatever the ref claims', async () => {
    const runtime = runtimeWith({ png: PNG, svg: SVG });
    expect(await blobOf(runtime, 'svg').url).toBeUndefined();
    const url = await blobOf(runtime, 'png').url;
    expect(url).toMatch(/^blob:/);
    expect(resolveObjectURL(url!)?.type).toBe('image/png');
  });

  it('asks again after a refusal or a missing blob, and keeps a URL once it has one', async () => {
    const runtime = runtimeWith({});
    const answers: Array<() => Promise<Uint8Array | undefined>> = [
      () => Promise.reject(new Error('connection reset')),
      async () => undefined,
      async () => PNG,
    ];
    let asked = 0;
    const load = () => answers[asked++]!();
    expect(await acquireObjectUrl(runtime, 'thumbnail:ink', load).url).toBeUndefined();
    expect(await acquireObjectUrl(runtime, 'thumbnail:ink', load).url).toBeUndefined();
    const url = await acquireObjectUrl(runtime, 'thumbnail:ink', load).url;
    expect(url).toMatch(/^blob:/);
    expect(await acquireObjectUrl(runtime, 'thumbnail:ink', load).url).toBe(url);
    expect(asked).toBe(3);
  });
});

describe('object URL lifetime', () => {
  it('revokes a URL no image shows once more than the idle bound have been released after it, never one still shown', async () => {
    const blobs = Object.fromEntries(Array.from({ length: IDLE_OBJECT_URLS + 3 }, (_, i) => [`h${i}`, PNG]));
    const runtime = runtimeWith(blobs);
    const shown = blobOf(runtime, 'h0');
    const first = blobOf(runtime, 'h1');
    const firstUrl = (await first.url)!;
    first.release();
    // released but among the last idle ones: an image that comes back gets the same URL
    const again = blobOf(runtime, 'h1');
    expect(await again.url).toBe(firstUrl);
    again.release();
    for (let i = 2; i < IDLE_OBJECT_URLS + 2; i++) {
      const held = blobOf(runtime, `h${i}`);
      await held.url;
      held.release();
      expect(alive(firstUrl)).toBe(true);
    }
    const last = blobOf(runtime, `h${IDLE_OBJECT_URLS + 2}`);
    await last.url;
    last.release();
    // one past the bound: the least recently shown goes, and its URL is revoked
    await expect.poll(() => alive(firstUrl)).toBe(false);
    // the image still on screen keeps its URL however many others come and go
    expect(alive((await shown.url)!)).toBe(true);
    // and one asked for again after its revoke gets a new, live URL
    const back = blobOf(runtime, 'h1');
    const backUrl = (await back.url)!;
    expect(backUrl).not.toBe(firstUrl);
    expect(alive(backUrl)).toBe(true);
  });

  it('keeps a URL two images share until both have let it go', async () => {
    const runtime = runtimeWith(
      Object.fromEntries(Array.from({ length: 2 * IDLE_OBJECT_URLS + 4 }, (_, i) => [`h${i}`, PNG])),
    );
    const a = blobOf(runtime, 'h0');
    const b = blobOf(runtime, 'h0');
    const url = (await a.url)!;
    a.release();
    a.release();
    for (let i = 1; i < IDLE_OBJECT_URLS + 2; i++) {
      const held = blobOf(runtime, `h${i}`);
      await held.url;
      held.release();
    }
    expect(alive(url)).toBe(true);
    b.release();
    for (let i = IDLE_OBJECT_URLS + 2; i < 2 * IDLE_OBJECT_URLS + 4; i++) {
      const held = blobOf(runtime, `h${i}`);
      await held.url;
      held.release();
    }
    await expect.poll(() => alive(url)).toBe(false);
  });
});
