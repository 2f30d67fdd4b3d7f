/**
 * Replaces every occurrence of a secret (and its common encodings) in text and JSON values.
 *
 * @example
 * const safe = createRedactor([apiKey]).text(`failed with key ${apiKey}`); // '... [redacted]'
 */
export interface Redactor {
  /** Returns `text` with every known secret replaced by `[redacted]`. */
  text(text: string): string;
  /** Returns a deep copy of `value` whose strings (keys included) are redacted. */
  value<T>(value: T): T;
}

const REDACTED = '[redacted]';

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Builds a redactor for a set of secrets: the raw values, their URL and base64 encodings, and the
 * base64 of `key:secret` pairs that Basic auth would send.
 *
 * @example
 * const r = createRedactor(['s3cr3t-key'], [['api_key', 's3cr3t']]);
 * r.text('Invalid API key s3cr3t-key'); // 'Invalid API key [redacted]'
 */
export function createRedactor(
  secrets: readonly string[],
  pairs: ReadonlyArray<readonly [string, string]> = [],
) {
  const needles = new Set<string>();
  // Short strings would redact ordinary words; real keys are long, so anything under 4 chars is ignored.
  const add = (s: string) => {
    if (s.length >= 4) needles.add(s);
  };
  for (const s of [...secrets, ...pairs.flat()]) {
    if (!s) continue;
    add(s);
    add(encodeURIComponent(s));
    add(base64(s));
    add(JSON.stringify(s).slice(1, -1));
  }
  for (const [k, s] of pairs) if (k && s) add(base64(`${k}:${s}`));
  // Longest first, so an encoded pair is replaced whole before its parts.
  const list = [...needles].sort((a, b) => b.length - a.length);
  const text = (input: string): string => {
    let out = input;
    for (const n of list) if (out.includes(n)) out = out.split(n).join(REDACTED);
    return out;
  };
  const value = <T>(input: T): T => {
    const walk = (v: unknown, depth: number): unknown => {
      if (typeof v === 'string') return text(v);
      if (depth > 32 || v === null || typeof v !== 'object') return v;
      if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[text(k)] = walk(x, depth + 1);
      return out;
    };
    return walk(input, 0) as T;
  };
  return { text, value } satisfies Redactor;
}
