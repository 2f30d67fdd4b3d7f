import type { z } from 'zod';

/** Formats a zod path the way the vendors' messages do: `concepts[0].scale`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * Turns the first zod issue into one sentence in Scenario's style (`Input loras must be at most 6 items
 * long`, `"modelId" must be a string`), which is what its `{ reason }` bodies carry.
 *
 * @example
 * describeIssue({ code: 'too_big', origin: 'array', maximum: 6, path: ['loras'] } as never);
 * // 'Input loras must be at most 6 items long'
 */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const name = formatPath(issue.path) || 'body';
  switch (issue.code) {
    case 'invalid_type':
      return `"${name}" must be ${article(issue.expected)}`;
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array' || issue.origin === 'set')
        return `Input ${name} must be at most ${max} items long`;
      if (issue.origin === 'string') return `Input ${name} must be at most ${max} characters long`;
      return `Input ${name} must be ${issue.inclusive === false ? 'less than' : 'at most'} ${max}`;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array' || issue.origin === 'set')
        return `Input ${name} must be at least ${min} items long`;
      if (issue.origin === 'string') return `Input ${name} must be at least ${min} characters long`;
      return `Input ${name} must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${min}`;
    }
    case 'not_multiple_of':
      return `Input ${name} must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_value':
      return `Input ${name} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `Input ${issue.keys.join(', ')} ${issue.keys.length === 1 ? 'is' : 'are'} not allowed`;
    default:
      return `Input ${name} is invalid: ${issue.message}`;
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** JSON response helper that allows the vendors' non-standard statuses (Scenario's 269). */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/** Reads a JSON body; `undefined` for an empty body, a `SyntaxError` for malformed JSON. */
export async function readJson(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === '') return undefined;
  return JSON.parse(text);
}
