import { createRedactor as coreRedactor } from '@loraflow/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactor, wireForms } from './redact';

const KEY = 'api_canaryKEY01';
const SECRET = 'canary/secret+xyz"';

describe('createRedactor', () => {
  it('removes every wire form of a key and secret: raw, URL, base64, JSON-escaped and Basic', () => {
    const r = createRedactor([KEY, SECRET], [[KEY, SECRET]]);
    const forms = [
      SECRET,
      encodeURIComponent(SECRET),
      btoa(SECRET),
      JSON.stringify(SECRET).slice(1, -1),
      btoa(`${KEY}:${SECRET}`),
    ];
    for (const f of forms) expect(r.text(`before ${f} after`)).toBe('before [redacted] after');
  });

  it('answers exactly as core’s text redactor over the wire forms (one redactor, not two)', () => {
    const forms = wireForms([KEY, SECRET], [[KEY, SECRET]]);
    const ours = createRedactor([KEY, SECRET], [[KEY, SECRET]]);
    const core = coreRedactor({ secrets: forms });
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom(...forms))), (parts) => {
        const text = parts.join('');
        expect(ours.text(text)).toBe(core(text));
      }),
    );
  });

  it('redacts strings and keys deep inside a value, and leaves other values as they are', () => {
    const r = createRedactor([KEY]);
    expect(r.value({ [KEY]: [KEY, 1, null, true], nested: { why: `bad ${KEY}` } })).toEqual({
      '[redacted]': ['[redacted]', 1, null, true],
      nested: { why: 'bad [redacted]' },
    });
  });

  it('ignores secrets shorter than 4 characters, which would redact ordinary words', () => {
    expect(createRedactor(['abc']).text('abcdef')).toBe('abcdef');
  });
});
