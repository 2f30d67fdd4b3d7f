import { createRedactor as createTextRedactor, redactValue } from '@loraflow/core';

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

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Every form a credential takes on the wire: the raw value, its URL, base64 and JSON-string
 * encodings, and the base64 of `key:secret` that Basic auth sends.
 *
 * @example
 * wireForms(['s3cr3t'], [['api_k', 's3cr3t']]); // ['s3cr3t', 'czNjcjN0', ..., 'YXBpX2s6czNjcjN0']
 */
export function wireForms(
  secrets: readonly string[],
  pairs: ReadonlyArray<readonly [string, string]> = [],
): string[] {
  const forms = new Set<string>();
  for (const s of [...secrets, ...pairs.flat()]) {
    if (!s) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(base64(s));
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  for (const [k, s] of pairs) if (k && s) forms.add(base64(`${k}:${s}`));
  return [...forms];
}

/**
 * Builds a provider client's redactor: core's one text redactor (`createRedactor` in
 * `@loraflow/core`: longest first, strings under 4 characters ignored) over every
 * {@link wireForms} of the credentials, and core's `redactValue` for JSON values.
 *
 * @example
 * const r = createRedactor(['s3cr3t-key'], [['api_key', 's3cr3t']]);
 * r.text('Invalid API key s3cr3t-key'); // 'Invalid API key [redacted]'
 */
export function createRedactor(
  secrets: readonly string[],
  pairs: ReadonlyArray<readonly [string, string]> = [],
): Redactor {
  const text = createTextRedactor({ secrets: wireForms(secrets, pairs) });
  return { text, value: <T>(input: T): T => redactValue(input, text) };
}

/**
 * A redactor that also hides `secrets` (in all their {@link wireForms}) for one request, on top of `base`: a webhook
 * URL's token is a secret of the call that carries it, not of the client.
 *
 * @example
 * const r = withSecrets(client, urlSecrets('https://flows.example/hooks/ml/h1/t0k3n-abcdefgh-42'));
 * r.text('echo: t0k3n-abcdefgh-42'); // 'echo: [redacted]'
 */
export function withSecrets(base: Redactor, secrets: readonly string[]): Redactor {
  if (secrets.length === 0) return base;
  const own = createTextRedactor({ secrets: wireForms(secrets) });
  const text = (input: string) => base.text(own(input));
  return { text, value: <T>(input: T): T => redactValue(input, text) };
}

/**
 * The parts of a callback URL that let a holder forge a callback: the whole URL, its last path segment (where a
 * token usually sits) and every query value, those two only when at least 16 characters long (a token, not a word
 * of the route). An echo of any of them is redacted.
 *
 * @example
 * urlSecrets('https://flows.example/hooks/ml/images?sig=9f2c41d07be35a68'); // [the URL, '9f2c41d07be35a68']
 */
export function urlSecrets(url: string | null | undefined): string[] {
  if (!url) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const last = parsed.pathname.split('/').filter(Boolean).at(-1);
  const parts = [...(last ? [decoded(last), last] : []), ...parsed.searchParams.values()];
  // once each: a URL is usually its own href and a token its own decoding, and every copy costs a slot and a scan
  return [...new Set([url, parsed.href, ...parts.filter((p) => p.length >= MIN_TOKEN_LENGTH)])];
}

// a shorter part is a word of the route (`images`, `prod`), which answers hold too: hiding it would corrupt them
const MIN_TOKEN_LENGTH = 16;

// a URL parser keeps a malformed escape (`%E0%A4%A`) that decoding refuses: the segment is then its own only form
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
