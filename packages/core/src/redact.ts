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
