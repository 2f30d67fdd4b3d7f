import type { ExplainEntry } from '../runtime-types';

/** The engine's explain reason as a sentence. */
export function explainText(entry: ExplainEntry): string {
  return entry.reason.message || entry.reason.code || (entry.willRun ? 'will run' : 'cached');
}
