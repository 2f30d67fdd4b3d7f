import { resolveObjectURL } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { blobUrl, objectUrlOnce } from './images';
import type { EditorRuntime } from './runtime-types';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
const SVG = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');

function runtimeWith(blobs: Record<string, Uint8Array>): EditorRuntime {
  return { getBlob: async (hash: string) => blobs[hash] } as unknown as EditorRuntime;
}

describe('blob URLs for images', () => {
  it('are made only for PNG, JPEG or WebP bytes, with the type the bytes show, whatever the ref claims', async () => {
    const runtime = runtimeWith({ png: PNG, svg: SVG });
    expect(await blobUrl(runtime, { hash: 'svg', mime: 'image/svg+xml' })).toBeUndefined();
    const url = await blobUrl(runtime, { hash: 'png', mime: 'image/svg+xml' });
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
    expect(await objectUrlOnce(runtime, 'thumbnail:ink', load)).toBeUndefined();
    expect(await objectUrlOnce(runtime, 'thumbnail:ink', load)).toBeUndefined();
    const url = await objectUrlOnce(runtime, 'thumbnail:ink', load);
    expect(url).toMatch(/^blob:/);
    expect(await objectUrlOnce(runtime, 'thumbnail:ink', load)).toBe(url);
    expect(asked).toBe(3);
  });
});
