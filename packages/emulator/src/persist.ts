import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Emulator } from './emulator';

/**
 * One request that changed the emulator's state, as written to the persistence file. It holds
 * no credential: the Authorization header is dropped and ModelsLab's body `key` is blanked.
 */
export interface RecordedRequest {
  /** Emulated epoch ms when the request arrived. */
  at: number;
  method: string;
  /** Path and query, e.g. `/scenario/v1/models?projectId=proj_1`. */
  path: string;
  contentType?: string;
  /** The body as text (the emulated APIs take JSON). */
  body?: string;
  /** Wall-clock epoch ms when it was recorded: another emulator sharing the file keeps up with this one's clock. */
  wall?: number;
}

const recordSchema = z.object({
  at: z.number().finite(),
  method: z.string().min(1),
  path: z.string().startsWith('/'),
  contentType: z.string().optional(),
  body: z.string().optional(),
  wall: z.number().finite().optional(),
});

/**
 * Whether a request changes state a replay must rebuild: the vendor APIs' writes; control calls and
 * file downloads do not.
 *
 * @example
 * isRecorded('POST', '/scenario/v1/models'); // true
 */
export const isRecorded = (method: string, path: string): boolean =>
  method !== 'GET' && method !== 'HEAD' && (path.startsWith('/scenario/') || path.startsWith('/modelslab/'));

const BLANK_KEY = '';

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
 * Rebuilds an emulator's state by sending it the recorded requests again, each at its recorded
 * emulated time. The emulator's ids and pictures are functions of its seed and of the requests
 * it has seen, so the same history yields the same models, jobs and assets.
 *
 * The clock must be manual while this runs; the caller sets the speed it wants afterwards.
 *
 * @example
 * const emulator = createEmulator({ clock: 'manual' });
 * await replayRequests(emulator, readRecordedRequests(file).requests);
 */
export async function replayRequests(
  emulator: Emulator,
  requests: readonly RecordedRequest[],
  credentials: { scenario: { key: string; secret: string }; modelslab: string },
): Promise<void> {
  const basic = `Basic ${btoa(`${credentials.scenario.key}:${credentials.scenario.secret}`)}`;
  for (const request of requests) {
    const ahead = request.at - emulator.clock.now();
    if (ahead > 0) emulator.clock.advance(ahead);
    const headers = new Headers();
    if (request.contentType) headers.set('content-type', request.contentType);
    if (request.path.startsWith('/scenario/')) headers.set('authorization', basic);
    const body = request.path.startsWith('/modelslab/')
      ? withModelsLabKey(request.body, credentials.modelslab)
      : request.body;
    const response = await emulator.fetch(
      new Request(`http://emulator.invalid${request.path}`, {
        method: request.method,
        headers,
        ...(body !== undefined ? { body } : {}),
      }),
    );
    // The answer was read once already, by the client that sent the request.
    await response.body?.cancel();
  }
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

/** ModelsLab authenticates with `key` in the JSON body; the file never holds it. */
function withModelsLabKey(body: string | undefined, key: string): string | undefined {
  if (body === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'key' in parsed) {
      return JSON.stringify({ ...parsed, key });
    }
  } catch {
    // Not JSON: the emulator answers it with its own validation error, in replay as the first time.
  }
  return body;
}
