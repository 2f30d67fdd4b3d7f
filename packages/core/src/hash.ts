import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import canonicalizeLib from 'canonicalize';

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
export const sha256Hex: HashFn = Object.assign((text: string) => bytesToHex(sha256(utf8ToBytes(text))), {
  bytes: (data: Uint8Array) => bytesToHex(sha256(data)),
  label: '@noble/hashes sha256',
});

/** SHA-256 of bytes with a given HashFn: its `bytes` variant when it has one. */
export function hashBytes(hash: HashFn, data: Uint8Array): string {
  if (hash.bytes) return hash.bytes(data);
  return bytesToHex(sha256(data));
}

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: sorted keys, ECMAScript number
 * form, no whitespace. Throws a TypeError for values JSON cannot carry (NaN, Infinity, cycles).
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  try {
    const text = canonicalizeLib(value);
    if (text === undefined) throw new TypeError('the value has no JSON form');
    return text;
  } catch (error) {
    throw new TypeError(`Cannot canonicalise this value as JSON: ${(error as Error).message}.`);
  }
}
