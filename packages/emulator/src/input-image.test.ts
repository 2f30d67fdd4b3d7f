import fc from 'fast-check';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import {
  decodeInputImage,
  fitSize,
  type InputImage,
  InputImageError,
  parseDataUrl,
  sniffImage,
} from './input-image';

/** The mean colour of a reduced input. */
function mean(image: InputImage): number[] {
  const sum = [0, 0, 0];
  for (let i = 0; i < image.rgb.length; i++) sum[i % 3] = (sum[i % 3] as number) + (image.rgb[i] as number);
  return sum.map((v) => Math.round(v / (image.cols * image.rows)));
}

const solid = (width: number, height: number, rgba: number[]) =>
  encode({
    width,
    height,
    channels: rgba.length,
    depth: 8,
    data: Uint8Array.from(
      { length: width * height * rgba.length },
      (_, i) => rgba[i % rgba.length] as number,
    ),
  });

describe('input images', () => {
  it('are read from RGB, palette, 16-bit and 1-bit greyscale PNGs alike', () => {
    expect(mean(decodeInputImage(solid(40, 30, [200, 40, 10]), 'image'))).toEqual([200, 40, 10]);
    const palette = encode({
      width: 4,
      height: 4,
      channels: 1,
      depth: 8,
      data: new Uint8Array(16).fill(1),
      palette: [
        [0, 0, 0],
        [10, 120, 230],
      ],
    });
    expect(mean(decodeInputImage(palette, 'image'))).toEqual([10, 120, 230]);
    const deep = encode({
      width: 2,
      height: 2,
      channels: 3,
      depth: 16,
      data: new Uint16Array(12).fill(65535),
    });
    expect(mean(decodeInputImage(deep, 'image'))).toEqual([255, 255, 255]);
    // 1-bit greyscale, every other column white: half grey on average.
    const bits = encode({
      width: 8,
      height: 2,
      channels: 1,
      depth: 1,
      data: new Uint8Array([0b10101010, 0b10101010]),
    });
    const grey = decodeInputImage(bits, 'image');
    expect(grey.rgb[0]).toBe(255);
    expect(grey.rgb[3]).toBe(0);
  });

  it('composite transparency over white and keep their size', () => {
    const clear = decodeInputImage(solid(300, 200, [0, 0, 0, 0]), 'image');
    expect(mean(clear)).toEqual([255, 255, 255]);
    expect(clear).toMatchObject({ width: 300, height: 200, cols: 128, rows: 128 });
  });

  it('refuse a JPEG, a WebP and what is no image, naming the field, and the emulator reads PNG only', () => {
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70]);
    const webp = new TextEncoder().encode('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ');
    expect(() => decodeInputImage(jpeg, 'init_image')).toThrow(
      new InputImageError('init_image is a JPEG image; the emulator reads PNG input images only'),
    );
    expect(() => decodeInputImage(webp, 'image')).toThrow('image is a WEBP image');
    expect(() => decodeInputImage(new Uint8Array([1, 2, 3]), 'image')).toThrow(
      'image is not a PNG or JPEG image; the emulator reads PNG input images only',
    );
    expect([sniffImage(jpeg), sniffImage(webp), sniffImage(solid(1, 1, [0, 0, 0]))]).toEqual([
      'jpeg',
      'webp',
      'png',
    ]);
  });

  it('refuse a picture above 2048 × 2048 from its header, before decoding it', () => {
    const header = solid(1, 1, [0, 0, 0]);
    const view = new DataView(header.buffer, header.byteOffset);
    view.setUint32(16, 30_000);
    view.setUint32(20, 30_000);
    expect(() => decodeInputImage(header, 'image')).toThrow('it is 30000 × 30000');
  });

  it('turn any bytes into an input image or a readable refusal, never another error', () => {
    const png = solid(3, 3, [1, 2, 3]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (noise, keepSignature) => {
        const bytes = keepSignature ? Uint8Array.from([...png.subarray(0, 33), ...noise]) : noise;
        try {
          decodeInputImage(bytes, 'image');
        } catch (error) {
          expect(error).toBeInstanceOf(InputImageError);
        }
      }),
    );
  });

  it('come from base64 data URLs, whose declared type is kept', () => {
    expect(parseDataUrl('data:image/png;base64,AAEC')).toEqual({
      mime: 'image/png',
      bytes: Uint8Array.from([0, 1, 2]),
    });
    expect(parseDataUrl('data:image/png,plain')).toBeUndefined();
    expect(parseDataUrl('https://example.invalid/a.png')).toBeUndefined();
  });

  it('give an output size scaled down to the limits, never up, on the size grid', () => {
    expect(fitSize(3000, 1500, { min: 256, max: 1024, multiple: 8 })).toEqual({ width: 1024, height: 512 });
    expect(fitSize(300, 203, { min: 8, max: 1024, multiple: 8 })).toEqual({ width: 304, height: 200 });
    expect(fitSize(1, 1, { min: 128, max: 2048, multiple: 16 })).toEqual({ width: 128, height: 128 });
  });
});
