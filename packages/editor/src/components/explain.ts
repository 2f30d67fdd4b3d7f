import type { ExplainEntry } from '../runtime-types';

/** The engine's explain reason as a sentence (it may be a string, a code, or an object with a message). */
export function explainText(entry: ExplainEntry): string {
  const r = entry.reason;
  if (typeof r === 'string') return r;
  if (r && typeof r === 'object') {
    const o = r as Record<string, unknown>;
    if (typeof o.message === 'string') return o.message;
    if (typeof o.code === 'string') return o.code;
    if (typeof o.kind === 'string') return o.kind;
  }
  return entry.willRun ? 'will run' : 'cached';
}
