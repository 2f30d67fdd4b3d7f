import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * A hash function: SHA-256 of a string's UTF-8 bytes as 64 lowercase hex characters. Hosts may
 * inject a faster one (node:crypto); every implementation must give the same digest.
 *
 * @example
 * const hash: HashFn = (s) => createHash('sha256').update(s).digest('hex');
 */
export type HashFn = ((text: string) => string) & { bytes?: (data: Uint8Array) => string; label?: string };

/**
 * The default hash: synchronous SHA-256 from `@noble/hashes`, runnable in any JavaScript engine.
 *
 * @example
 * sha256Hex('abc'); // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
// Marked pure so a page that never hashes (an editor) leaves @noble out of its bundle.
export const sha256Hex: HashFn = /* @__PURE__ */ Object.assign(
  (text: string) => bytesToHex(sha256(utf8ToBytes(text))),
  {
    bytes: (data: Uint8Array) => bytesToHex(sha256(data)),
    label: '@noble/hashes sha256',
  },
);

/**
 * SHA-256 of bytes as 64 lowercase hex characters, for content-addressed blobs (every store keys its
 * blobs with it): WebCrypto's native digest where the host has one — about seven times the portable
 * one's speed on a megabyte, and it does not hold the thread — and `@noble/hashes` where it has not
 * (a page served over plain http has no `crypto.subtle`). The same digest either way. Hash a copy
 * you keep if the caller could change the bytes while the promise is pending.
 *
 * @example
 * const ref: BlobRef = { $blob: await digestBytes(png), mime: 'image/png', size: png.byteLength };
 */
export async function digestBytes(data: Uint8Array): Promise<string> {
  // looked up per call: a host may install WebCrypto after this module loaded
  const subtle = (globalThis as { crypto?: { subtle?: SubtleDigest } }).crypto?.subtle;
  if (!subtle) return bytesToHex(sha256(data));
  return bytesToHex(new Uint8Array(await subtle.digest('SHA-256', data)));
}

// The one WebCrypto method used here (the core compiles without DOM types).
interface SubtleDigest {
  digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>;
}

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: keys sorted by UTF-16 code units,
 * ECMAScript number form, no whitespace. Throws a TypeError for values JSON cannot carry (NaN,
 * Infinity, bigint, functions, cycles). Hand-written because it is on the cache-key hot path; the
 * `canonicalize` package is its test oracle (see docs/decisions/0003-engine.md for the numbers).
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, []);
}

function write(value: unknown, path: object[]): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value))
        throw new TypeError(`Cannot canonicalise ${value}: JSON has no such number.`);
      // ECMAScript's Number-to-String is the form RFC 8785 prescribes (and -0 prints as 0); a
      // concatenation reaches it without JSON.stringify's machinery
      return `${value}`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (path.includes(value)) throw new TypeError('Cannot canonicalise a value that contains itself.');
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        path.push(value);
        const out = write((value as { toJSON(): unknown }).toJSON(), path);
        path.pop();
        return out;
      }
      path.push(value);
      let out: string;
      if (Array.isArray(value)) {
        out = '[';
        for (let i = 0; i < value.length; i++) {
          const item = value[i];
          if (i > 0) out += ',';
          out +=
            item === undefined || typeof item === 'function' || typeof item === 'symbol'
              ? 'null'
              : write(item, path);
        }
        out += ']';
      } else {
        // the default sort compares UTF-16 code units, which is the order RFC 8785 requires
        const keys = Object.keys(value).sort();
        out = '{';
        let first = true;
        for (const key of keys) {
          const item = (value as Record<string, unknown>)[key];
          if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
          if (!first) out += ',';
          first = false;
          out += `${quotedName(key)}:${write(item, path)}`;
        }
        out += '}';
      }
      path.pop();
      return out;
    }
    default:
      throw new TypeError(`Cannot canonicalise a ${typeof value}: JSON has no such value.`);
  }
}

const quotedNames = new Map<string, string>();

/**
 * The JSON text of a name (an object key, a port name), kept for the names seen so far: they
 * repeat on every node of a type. Bounded, so a stream of distinct names cannot grow it forever.
 *
 * @example
 * quotedName('prompt'); // '"prompt"'
 */
export function quotedName(name: string): string {
  let text = quotedNames.get(name);
  if (text === undefined) {
    text = JSON.stringify(name);
    if (quotedNames.size < 4096) quotedNames.set(name, text);
  }
  return text;
}
