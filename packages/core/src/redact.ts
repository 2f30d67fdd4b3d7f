/**
 * Builds the redactor every log line, event message and error message passes through: the host's
 * `redact` first, then every configured secret replaced by `[redacted]`.
 *
 * @example
 * const redact = createRedactor({ secrets: [apiKey] });
 * redact(`bad key ${apiKey}`); // 'bad key [redacted]'
 */
export function createRedactor(options: {
  redact?: (text: string) => string;
  secrets?: readonly string[];
}): (text: string) => string {
  // very short secrets would redact ordinary words, so they are ignored (and documented as such)
  const secrets = (options.secrets ?? [])
    .filter((s) => typeof s === 'string' && s.length >= 4)
    .sort((a, b) => b.length - a.length);
  const custom = options.redact;
  if (!custom && secrets.length === 0) return (text) => text;
  return (text) => {
    let out = String(text);
    if (custom) {
      try {
        out = custom(out);
      } catch {
        out = '[redaction failed]';
      }
    }
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  };
}

/**
 * True when any configured secret occurs in the text.
 *
 * @example
 * containsSecret('token sk-123456', ['sk-123456']); // true
 */
export function containsSecret(text: string, secrets: readonly string[]): boolean {
  for (const s of secrets) if (s.length >= 4 && text.includes(s)) return true;
  return false;
}

/**
 * A copy of a JSON-like value in which every string, object keys included, has passed through
 * `redact` (typically a {@link createRedactor}), at any depth. Arrays stay arrays; other objects
 * become plain objects of their own enumerable properties; byte arrays and dates are kept as they
 * are (they hold no text); a value met twice is copied once, so shared parts and cycles survive.
 *
 * @example
 * const redact = createRedactor({ secrets: [apiKey] });
 * redactValue({ issues: [{ message: `bad key ${apiKey}` }] }, redact);
 * // { issues: [{ message: 'bad key [redacted]' }] }
 */
export function redactValue<T>(value: T, redact: (text: string) => string): T {
  const copies = new Map<object, unknown>();
  const pending: Array<[source: object, copy: unknown[] | Record<string, unknown>]> = [];
  // Containers are filled from a work list, not by recursion, so no depth overflows the stack.
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof Date) return v;
    const known = copies.get(v);
    if (known !== undefined) return known;
    const copy: unknown[] | Record<string, unknown> = Array.isArray(v) ? [] : {};
    copies.set(v, copy);
    pending.push([v, copy]);
    return copy;
  };
  const root = visit(value);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [source, copy] = next;
    if (Array.isArray(copy)) {
      for (const item of source as unknown[]) copy.push(visit(item));
      continue;
    }
    for (const [key, item] of Object.entries(source)) {
      const name = redact(key);
      // an assigned '__proto__' would set the copy's prototype instead of adding the key
      if (name === '__proto__')
        Object.defineProperty(copy, name, {
          value: visit(item),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else copy[name] = visit(item);
    }
  }
  return root as T;
}
