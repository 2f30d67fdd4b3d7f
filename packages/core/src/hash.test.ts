import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  compileKeyTemplate,
  KEY_SCHEME,
  type KeyInput,
  keyPreimage,
  renderKeyPreimage,
  renderKeyPreimageColumns,
} from './engine/key-preimage';
import { canonicalJson, digestBytes, sha256Hex } from './hash';

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vectors', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes the UTF-8 bytes of non-ASCII text', () => {
    // sha256 of the UTF-8 bytes c3 a9 ("é"), computed independently with Python's hashlib
    expect(sha256Hex('\u00e9')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });
});

describe('digestBytes', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('gives the same digest with WebCrypto and with the portable hash a host without it falls back to', async () => {
    expect(await digestBytes(new Uint8Array([97, 98, 99]))).toBe(sha256Hex('abc'));
    const samples = fc.sample(fc.uint8Array({ maxLength: 300 }), { numRuns: 40, seed: 9 });
    const native = await Promise.all(samples.map((bytes) => digestBytes(bytes)));
    // a page served over plain http has no crypto.subtle
    vi.stubGlobal('crypto', {});
    const portable = await Promise.all(samples.map((bytes) => digestBytes(bytes)));
    expect(portable).toEqual(native);
    expect(native).toEqual(samples.map((bytes) => sha256Hex.bytes!(bytes)));
  });
});

describe('canonicalJson', () => {
  it('follows RFC 8785 for key order and number form', () => {
    const value = {
      '\u20ac': 'Euro',
      '\r': 'cr',
      '1': 1,
      '\ud83d\ude00': 'smile',
      '\u00f6': 'o',
      b: [1e21, 1e-7, -0, 0.1, Number('333333333.33333329'), 4.5, 2e-3, 1e30],
    };
    expect(canonicalJson(value)).toBe(
      '{"\\r":"cr","1":1,"b":[1e+21,1e-7,0,0.1,333333333.3333333,4.5,0.002,1e+30],"ö":"o","€":"Euro","😀":"smile"}',
    );
  });

  it('refuses values JSON cannot carry, with a sentence', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/Cannot canonicalise/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
  });

  it('agrees with the canonicalize package (its oracle) on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string({ unit: 'grapheme' }),
        (n, s) => {
          expect(canonicalJson({ [s]: n, n: [s] })).toBe(canonicalize({ [s]: n, n: [s] }));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('gives the same text whatever the key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
      }),
    );
  });
});

describe('keyPreimage', () => {
  it('is exactly the canonical JSON of the documented array', () => {
    const input = fc.record({
      port: fc.string(),
      from: fc.string(),
      fromPort: fc.string(),
      settings: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: 1, max: 1000 }),
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.array(input, { maxLength: 6 }),
        fc.option(fc.string(), { nil: null }),
        (type, version, params, inputs, salt) => {
          const ports = [...new Set(inputs.map((i) => i.port))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          const expected = canonicalJson([
            KEY_SCHEME,
            type,
            version,
            params,
            ports.map((p) => [
              p,
              inputs.filter((i) => i.port === p).map((i) => [i.from, i.fromPort, i.settings ?? null]),
            ]),
            salt,
          ]);
          expect(keyPreimage(type, version, canonicalJson(params), inputs as KeyInput[], salt)).toBe(
            expected,
          );
        },
      ),
    );
  });

  it('gives the known key for a fixed node, the same on every engine and machine', () => {
    const preimage = keyPreimage(
      'example.add',
      1,
      canonicalJson({ offset: 0.5 }),
      [
        { port: 'terms', from: 'a'.repeat(64), fromPort: 'value', settings: { weight: 2 } },
        { port: 'terms', from: 'b'.repeat(64), fromPort: 'value', settings: { weight: 1 } },
      ],
      null,
    );
    // computed independently with Python's hashlib over the same preimage
    expect(sha256Hex(preimage)).toBe('8c3f1b22e43f198f5a75dd939cfd847ecf172a84a8ff44dc06335bc7eadaef70');
  });

  it('keeps the order of connections into one input', () => {
    const a: KeyInput = { port: 'terms', from: 'a', fromPort: 'v', settings: undefined };
    const b: KeyInput = { port: 'terms', from: 'b', fromPort: 'v', settings: undefined };
    expect(keyPreimage('x', 1, '{}', [a, b], null)).not.toBe(keyPreimage('x', 1, '{}', [b, a], null));
  });
});

describe('compileKeyTemplate, renderKeyPreimage and renderKeyPreimageColumns', () => {
  it('render exactly the preimage keyPreimage builds', () => {
    const wire = fc.record({
      port: fc.string(),
      from: fc.nat(3),
      fromPort: fc.string(),
      settings: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.string(),
        fc.array(wire, { maxLength: 6 }),
        // identities are digests (HashFn: lowercase hex), which the renderers splice in unescaped
        fc.array(fc.stringMatching(/^[0-9a-f]{64}$/), { minLength: 4, maxLength: 4 }),
        fc.option(fc.string(), { nil: null }),
        (type, wires, ids, salt) => {
          const tpl = compileKeyTemplate(type, 2, '{"a":1}', wires);
          const inputs = wires.map((w) => ({
            port: w.port,
            from: ids[w.from]!,
            fromPort: w.fromPort,
            settings: w.settings,
          }));
          expect(tpl.render((i) => ids[i]!, salt)).toBe(keyPreimage(type, 2, '{"a":1}', inputs, salt));
          expect(renderKeyPreimage(type, 2, '{"a":1}', wires, (i) => ids[i]!, salt)).toBe(
            keyPreimage(type, 2, '{"a":1}', inputs, salt),
          );
          // the engine's column form, placed after a decoy wire so the range offsets are exercised
          const columns = {
            wirePort: ['decoy', ...wires.map((w) => w.port)],
            wireFrom: Int32Array.from([0, ...wires.map((w) => w.from)]),
            wireFromPort: ['decoy', ...wires.map((w) => w.fromPort)],
            wireSettings: [{ decoy: true }, ...wires.map((w) => w.settings)],
          };
          expect(
            renderKeyPreimageColumns(type, 2, '{"a":1}', columns, 1, wires.length + 1, (i) => ids[i]!),
          ).toBe(keyPreimage(type, 2, '{"a":1}', inputs, null));
        },
      ),
    );
  });
});
