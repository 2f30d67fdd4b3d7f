import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactor, redactValue } from './redact';

// Secrets drawn from letters that '[redacted]' does not contain, so a replacement can never spell one again.
const secretArb = fc.string({ minLength: 4, maxLength: 12, unit: fc.constantFrom(...'ABCXYZ0123456789') });

/** Text that holds the secret, sometimes several times, among arbitrary characters. */
const textWith = (secret: string) =>
  fc.array(fc.oneof(fc.string(), fc.constant(secret)), { maxLength: 4 }).map((parts) => parts.join(''));

/** A JSON-like value whose strings and keys may hold the secret, nested `depth` more levels inside containers. */
const valueWith = (secret: string) => {
  const text = textWith(secret);
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      text,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(text, tie('value'), { maxKeys: 4 }),
    ),
  }));
  const wrappers = fc.array(fc.oneof(fc.constant<'array'>('array'), text), { maxLength: 3000 });
  return fc
    .tuple(value, wrappers)
    .map(([inner, around]) =>
      around.reduce<unknown>((v, key) => (key === 'array' ? [v, key] : { [key]: v, plain: key }), inner),
    );
};

/** Every string and key in a value, walked without recursion (the values are deeper than a stack). */
function texts(value: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<object>();
  const todo = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (typeof v === 'string') out.push(v);
    else if (v !== null && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      for (const [k, x] of Object.entries(v)) {
        if (!Array.isArray(v)) out.push(k);
        todo.push(x);
      }
    }
  }
  return out;
}

describe('redactValue', () => {
  it('leaves no secret in any string or key, at any depth', () => {
    fc.assert(
      fc.property(
        secretArb.chain((secret) => fc.tuple(fc.constant(secret), valueWith(secret))),
        ([secret, value]) => {
          const redacted = redactValue(value, createRedactor({ secrets: [secret] }));
          expect(texts(redacted).filter((t) => t.includes(secret))).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives back an equal value when no secret is in it, and never changes its input', () => {
    fc.assert(
      fc.property(secretArb, fc.jsonValue(), (secret, value) => {
        fc.pre(!texts(value).some((t) => t.includes(secret)));
        const before = structuredClone(value);
        const redact = createRedactor({ secrets: [secret] });
        expect(redactValue(value, redact)).toEqual(value);
        expect(value).toEqual(before);
      }),
    );
  });

  it('redacts inside a value nested far deeper than a call stack goes', () => {
    let value: unknown = 'key sk-live-0001';
    for (let i = 0; i < 200_000; i++) value = i % 2 === 0 ? [value] : { inner: value };
    const redacted = redactValue(value, createRedactor({ secrets: ['sk-live-0001'] }));
    expect(texts(redacted)).toContain('key [redacted]');
    expect(texts(redacted).some((t) => t.includes('sk-live-0001'))).toBe(false);
  });

  it('copies a part met twice once, so shared parts and cycles survive, and keeps bytes and dates', () => {
    const shared = { note: 'uses sk-live-0001' };
    const cyclic: Record<string, unknown> = {
      shared,
      again: shared,
      bytes: new Uint8Array([1, 2]),
      at: new Date(0),
    };
    cyclic.self = cyclic;
    const out = redactValue(cyclic, createRedactor({ secrets: ['sk-live-0001'] }));
    expect(out.shared).toEqual({ note: 'uses [redacted]' });
    expect(out.again).toBe(out.shared);
    expect(out.self).toBe(out);
    expect(out.bytes).toBe(cyclic.bytes);
    expect(out.at).toBe(cyclic.at);
  });

  it("keeps a '__proto__' key as a key instead of setting the copy's prototype", () => {
    const value = JSON.parse('{"__proto__": {"polluted": "sk-live-0001"}}') as object;
    const out = redactValue(value, createRedactor({ secrets: ['sk-live-0001'] }));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: '[redacted]' });
  });
});
