import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BLANK_KEY, type RecordedRequest, recordSchema, withModelsLabKey } from './recording';

export { isRecorded, type RecordedRequest, replayRequests } from './recording';

/**
 * What a persistence file held when it was read: the requests, and the lines that could not be
 * used (a torn last line after a kill -9, or a hand edit).
 */
export interface LoadedRequests {
  requests: RecordedRequest[];
  skipped: number;
}

/**
 * Reads a persistence file; a missing file is an empty history, an unparsable line is skipped.
 *
 * @example
 * const { requests } = readRecordedRequests('.loraflow/emulator/requests.ndjson');
 */
export function readRecordedRequests(file: string): LoadedRequests {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { requests: [], skipped: 0 };
    throw error;
  }
  return parseRecordedLines(text);
}

/** The requests of NDJSON text, one per line; a line that is not one is skipped and counted. */
export function parseRecordedLines(text: string): LoadedRequests {
  const requests: RecordedRequest[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = recordSchema.safeParse(JSON.parse(line));
      if (parsed.success) requests.push(parsed.data as RecordedRequest);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { requests, skipped };
}

/**
 * Appends state-changing requests to a persistence file, one JSON line each, without credentials.
 *
 * @example
 * const recorder = createRequestRecorder('.loraflow/emulator/requests.ndjson');
 * recorder.append({ at: emulator.clock.now(), method: 'POST', path: '/scenario/v1/models', body: '{}' });
 */
export function createRequestRecorder(file: string): {
  append(entry: RecordedRequest): void;
  truncate(): void;
} {
  mkdirSync(dirname(file), { recursive: true });
  return {
    append(entry) {
      const stored =
        entry.body !== undefined && entry.path.startsWith('/modelslab/')
          ? { ...entry, body: withModelsLabKey(entry.body, BLANK_KEY) }
          : entry;
      // One write per line: a kill -9 can tear only the last line, which the reader skips.
      appendFileSync(file, `${JSON.stringify(stored)}\n`);
    },
    truncate() {
      writeFileSync(file, '');
    },
  };
}
