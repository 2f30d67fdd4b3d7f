import { z } from 'zod';
import { createEmulator, EMULATOR_CREDENTIALS, type Emulator, type EmulatorOptions } from './emulator';

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

export const recordSchema = z.object({
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

/** What a recording writes to: a file in node (`persist.ts`), IndexedDB in a page (`@loraflow/browser`). */
export interface RequestSink {
  append(entry: RecordedRequest): void | Promise<void>;
  truncate(): void | Promise<void>;
}

/** The ModelsLab `key` a recording stores in place of the real one. */
export const BLANK_KEY = '';

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
 * Records one state-changing request to a sink (credentials blanked, with its emulated and wall time)
 * and has the emulator answer it, at a frozen emulated instant so a replay processes it at exactly `at`.
 * The caller serialises writes: ids are drawn in the order writes are processed.
 *
 * @example
 * const response = await recordedWrite(emulator, sink, request, '/scenario/v1/models', body);
 */
export async function recordedWrite(
  emulator: Emulator,
  sink: RequestSink,
  request: Request,
  path: string,
  body: string,
): Promise<Response> {
  const { speed } = emulator.clock.describe();
  if (speed > 0) emulator.clock.setManual();
  try {
    const contentType = request.headers.get('content-type');
    const entry: RecordedRequest = {
      at: emulator.clock.now(),
      wall: Date.now(),
      method: request.method,
      path,
      ...(contentType ? { contentType } : {}),
      ...(body !== '' ? { body } : {}),
    };
    await sink.append(
      entry.body !== undefined && path.startsWith('/modelslab/')
        ? { ...entry, body: withModelsLabKey(entry.body, BLANK_KEY) ?? entry.body }
        : entry,
    );
    const response = await emulator.fetch(
      new Request(request.url, {
        method: request.method,
        headers: request.headers,
        body,
        signal: request.signal,
      }),
    );
    // Read the answer while time is frozen, so a lazily built body sees the same clock.
    return new Response(await response.arrayBuffer(), response);
  } finally {
    if (speed > 0) emulator.clock.setSpeed(speed);
  }
}

/**
 * The emulator's `fetch`, recording every state-changing request to a sink before the emulator
 * processes it (see {@link recordedWrite}), one write at a time, so that {@link replayRequests}
 * rebuilds the same state. Browser-safe: the sink decides where lines go.
 *
 * @example
 * const fetch = createRecordingFetch(emulator, { append: (e) => lines.push(e), truncate: () => { lines.length = 0; } });
 */
export function createRecordingFetch(
  emulator: Emulator,
  sink: RequestSink,
): (request: Request) => Promise<Response> {
  let writes: Promise<unknown> = Promise.resolve();
  return async (request) => {
    const { pathname, search } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/_emulator/reset') await sink.truncate();
    if (!isRecorded(request.method, pathname)) return emulator.fetch(request);
    const body = await request.text();
    const turn = writes.then(() => recordedWrite(emulator, sink, request, `${pathname}${search}`, body));
    writes = turn.catch(() => undefined);
    return turn;
  };
}

/**
 * The credentials a replay signs recorded requests with: the emulator's first configured ones.
 *
 * @example
 * await replayRequests(emulator, requests, replayCredentials(options));
 */
export function replayCredentials(options: EmulatorOptions): Parameters<typeof replayRequests>[2] {
  return {
    scenario: options.credentials?.scenario?.[0] ?? EMULATOR_CREDENTIALS.scenario,
    modelslab: options.credentials?.modelslab?.[0] ?? EMULATOR_CREDENTIALS.modelslab.key,
  };
}

/**
 * Rebuilds an emulator from recorded requests (none: a fresh one), then lets its clock run as asked.
 *
 * @example
 * const emulator = await restoreEmulator(requests, { clock: { speed: 600 } });
 */
export async function restoreEmulator(
  requests: readonly RecordedRequest[],
  options: EmulatorOptions,
): Promise<Emulator> {
  if (requests.length === 0) return createEmulator(options);
  const emulator = createEmulator({ ...options, clock: 'manual' });
  await replayRequests(emulator, requests, replayCredentials(options));
  // The request log describes this process's traffic, not the replay.
  emulator.log.clear();
  const mode = options.clock ?? 'real';
  if (mode === 'real') emulator.clock.setSpeed(1);
  else if (mode !== 'manual') emulator.clock.setSpeed(mode.speed);
  return emulator;
}

/** ModelsLab authenticates with `key` in the JSON body; a recording never holds it. */
export function withModelsLabKey(body: string | undefined, key: string): string | undefined {
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
