import fc from 'fast-check';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { inspectImage, parseDataUrl, toDataUrl } from './image-check';

const png = (width: number, height: number) =>
  encode({ width, height, data: new Uint8Array(width * height * 3).fill(120), channels: 3 });

// SOI, an APP0 segment, then a baseline frame header giving height 300 and width 200.
const jpeg = new Uint8Array([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x4a, 0x46, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x01, 0x2c, 0x00, 0xc8, 0x01,
  0x01, 0x11, 0x00, 0xff, 0xd9,
]);

function webpVp8x(width: number, height: number): Uint8Array {
  const b = new Uint8Array(30);
  b.set(
    [...'RIFF'].map((c) => c.charCodeAt(0)),
    0,
  );
  b.set(
    [...'WEBP'].map((c) => c.charCodeAt(0)),
    8,
  );
  b.set(
    [...'VP8X'].map((c) => c.charCodeAt(0)),
    12,
  );
  const w = width - 1;
  const h = height - 1;
  b.set([w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff, h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff], 24);
  return b;
}

describe('inspectImage', () => {
  it('decodes a PNG fully and reports its size', () => {
    expect(inspectImage(png(7, 5))).toEqual({ ok: true, info: { mime: 'image/png', width: 7, height: 5 } });
  });

  it('refuses a PNG whose data is corrupt even though its header is fine', () => {
    const bytes = png(16, 16);
    const broken = bytes.slice(0, bytes.length - 20);
    const check = inspectImage(broken);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(/^the PNG does not decode/);
  });

  it('reads a JPEG size from its frame header', () => {
    expect(inspectImage(jpeg)).toEqual({ ok: true, info: { mime: 'image/jpeg', width: 200, height: 300 } });
  });

  it('refuses a JPEG cut before its frame header', () => {
    expect(inspectImage(jpeg.slice(0, 8))).toEqual({
      ok: false,
      reason: 'the JPEG has no frame header before its image data',
    });
  });

  it('reads an extended WebP size', () => {
    expect(inspectImage(webpVp8x(640, 480))).toEqual({
      ok: true,
      info: { mime: 'image/webp', width: 640, height: 480 },
    });
  });

  it('names what it is not', () => {
    expect(inspectImage(new TextEncoder().encode('hello'))).toEqual({
      ok: false,
      reason: 'it is not a PNG, JPEG or WebP image',
    });
    expect(inspectImage(new Uint8Array())).toEqual({ ok: false, reason: 'it is empty' });
  });

  it('never throws, whatever the bytes, with or without an image signature in front', () => {
    const prefixes = [
      [],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      [0xff, 0xd8, 0xff],
      [...webpVp8x(2, 2).slice(0, 16)],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 200 }), (prefix, tail) => {
        const result = inspectImage(new Uint8Array([...prefix, ...tail]));
        expect(typeof result.ok).toBe('boolean');
        if (result.ok) expect(result.info.width).toBeGreaterThan(0);
      }),
    );
  });
});

describe('data URLs', () => {
  it('round-trips any bytes through toDataUrl and parseDataUrl', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const parsed = parseDataUrl(toDataUrl(bytes, 'image/png'));
        expect(parsed).toEqual({ ok: true, mime: 'image/png', bytes });
      }),
    );
  });

  it('never throws on arbitrary text and explains a broken payload', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const r = parseDataUrl(`data:image/png;base64,${text}`);
        if (!r.ok) expect(r.reason).toBe('its base64 payload is not valid base64');
      }),
    );
    expect(parseDataUrl('https://example.com/a.png')).toEqual({ ok: false, reason: 'it is not a data: URL' });
    expect(parseDataUrl('data:image/png;base64,/=')).toEqual({
      ok: false,
      reason: 'its base64 payload is not valid base64',
    });
    expect(parseDataUrl('data:image/png;base64,@@@')).toEqual({
      ok: false,
      reason: 'its base64 payload is not valid base64',
    });
  });
});
