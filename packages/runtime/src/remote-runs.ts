import {
  createRunStateFold,
  initialRunState,
  type NodeOutcome,
  type RunEvent,
  type RunResult,
  setOwn,
} from '@loraflow/core';
import type { EventSourceMessage } from 'eventsource-parser';
import { z } from 'zod/mini';
import { parseInEnglish, RUNTIME_CODES, RuntimeError } from './errors';
import { runEventSchema, runRecordSchema } from './store/schemas';
import type { RunRecord } from './store/types';
import type { RuntimeRunHandle } from './types';

// The remote runtime's run side (following a run's events, its records), loaded on the first run or history
// request: an editor page that only edits does not download it or the run record schemas.

/** What the run side needs of the remote runtime's HTTP client. */
export interface RemoteClient {
  base: string;
  doFetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  authHeaders: Record<string, string>;
  reconnectDelayMs: number | undefined;
  maxReconnects: number;
  send(method: string, path: string, body?: unknown): Promise<Response>;
  checked<T>(schema: z.core.$ZodType, method: string, path: string, body?: unknown): Promise<T>;
  errorOf(response: Response): Promise<RuntimeError>;
}

const runsAnswer = z.looseObject({ runs: z.array(runRecordSchema) });

/**
 * The run side of a remote runtime over one HTTP client.
 *
 * @example
 * const runs = remoteRuns(client);
 * const handle = runs.handle(runId, 0, undefined);
 */
// long because it is wiring: following a run shares the client's base URL, headers and reconnect budget
export function remoteRuns(client: RemoteClient) {
  const { base, doFetch, authHeaders, maxReconnects, send, errorOf } = client;
  const options = { reconnectDelayMs: client.reconnectDelayMs };

  async function getRun(runId: string): Promise<RunRecord | undefined> {
    try {
      // checked like every answer, so a malformed record names where it is wrong
      return await client.checked<RunRecord>(runRecordSchema, 'GET', `/runs/${encodeURIComponent(runId)}`);
    } catch (error) {
      if (error instanceof RuntimeError && error.code === RUNTIME_CODES.runNotFound) return undefined;
      throw error;
    }
  }

  async function* events(
    runId: string,
    after: number,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<RunEvent> {
    let last = after;
    let failures = 0;
    let delay = options.reconnectDelayMs ?? 1000;
    for (;;) {
      if (signal?.aborted) return;
      const headers: Record<string, string> = {
        accept: 'text/event-stream',
        ...authHeaders,
        'last-event-id': String(last),
      };
      const init: RequestInit = { headers };
      if (signal) init.signal = signal;
      let response: Response | undefined;
      try {
        response = await doFetch(`${base}/runs/${encodeURIComponent(runId)}/events`, init);
      } catch {
        response = undefined;
      }
      if (signal?.aborted) return;
      if (response && !response.ok) throw await errorOf(response);
      let ended = false;
      if (response?.body) {
        const queue: EventSourceMessage[] = [];
        // loaded when a run is first followed: an editor page that never runs does not download the SSE parser
        const { createParser } = await import('eventsource-parser');
        const parser = createParser({
          onEvent: (message) => queue.push(message),
          onRetry: (ms) => {
            if (options.reconnectDelayMs === undefined) delay = ms;
          },
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        try {
          while (!ended) {
            const { done, value } = await reader.read();
            if (done) break;
            parser.feed(value);
            while (queue.length > 0 && !ended) {
              const message = queue.shift()!;
              if (message.event === 'end') {
                ended = true;
                break;
              }
              const event = parseEvent(message.data, runId);
              if (event.seq <= last) continue;
              last = event.seq;
              failures = 0;
              yield event;
            }
          }
        } catch (error) {
          if (error instanceof RuntimeError) throw error;
          // A dropped connection: reconnect below from the last event seen.
        } finally {
          reader.cancel().catch(() => {});
        }
      }
      if (ended || signal?.aborted) return;
      if (++failures > maxReconnects) {
        throw new RuntimeError(
          RUNTIME_CODES.remoteUnreachable,
          `The event stream of run "${runId}" dropped ${failures} times in a row; giving up.`,
        );
      }
      await sleep(delay, signal);
    }
  }

  function handle(runId: string, after: number, signal: AbortSignal | undefined): RuntimeRunHandle {
    const log: RunEvent[] = [];
    const listeners = new Set<(e: RunEvent) => void>();
    const fold = createRunStateFold(initialRunState(runId, Date.now()));
    let finished = false;
    const stop = new AbortController();
    const cancel = () => {
      send('POST', `/runs/${encodeURIComponent(runId)}/cancel`).catch(() => {});
    };
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
    const result = (async (): Promise<RunResult> => {
      try {
        for await (const event of events(runId, after, stop.signal)) {
          log.push(event);
          fold.apply(event);
          for (const listener of listeners) {
            try {
              listener(event);
            } catch {
              // A throwing subscriber must not break the stream or the other subscribers.
            }
          }
          if (event.type === 'run.finished') break;
        }
      } finally {
        finished = true;
        listeners.clear();
        signal?.removeEventListener('abort', cancel);
      }
      // The record is written just after the last event; a few short tries cover that gap.
      for (let attempt = 0; ; attempt++) {
        const record = await getRun(runId);
        if (!record)
          throw new RuntimeError(RUNTIME_CODES.runNotFound, `The run "${runId}" is gone from the runtime.`);
        if (record.status !== 'running') return resultOf(record);
        if (attempt >= 20) {
          throw new RuntimeError(
            RUNTIME_CODES.remoteProtocol,
            `The run "${runId}" finished but its record still says running.`,
          );
        }
        await sleep(25, undefined);
      }
    })();
    result.catch(() => {});
    return {
      runId,
      after,
      result,
      cancel,
      subscribe(listener) {
        for (const event of log) listener(event);
        if (finished) return () => {};
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
        };
      },
      getSnapshot: fold.getSnapshot,
    };
  }

  async function listRuns(limit: number | undefined): Promise<RunRecord[]> {
    const query = limit !== undefined ? `?limit=${limit}` : '';
    return (await client.checked<{ runs: RunRecord[] }>(runsAnswer, 'GET', `/runs${query}`)).runs;
  }

  return { getRun, events, handle, listRuns };
}

function parseEvent(data: string, runId: string): RunEvent {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    value = undefined;
  }
  const parsed = parseInEnglish(runEventSchema, value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new RuntimeError(
      RUNTIME_CODES.remoteProtocol,
      `The event stream of run "${runId}" carried a malformed event${at}: ${issue.message}.`,
    );
  }
  if (parsed.data.runId !== runId) {
    throw new RuntimeError(
      RUNTIME_CODES.remoteProtocol,
      `The event stream of run "${runId}" carried an event of another run.`,
    );
  }
  return value as RunEvent;
}

function resultOf(record: RunRecord): RunResult {
  const nodes: Record<string, NodeOutcome> = {};
  for (const [id, node] of Object.entries(record.nodes)) {
    const outcome: NodeOutcome = { status: node.status as NodeOutcome['status'], key: node.key };
    if (node.outputs) outcome.outputs = node.outputs;
    if (node.error) outcome.error = node.error;
    if (node.because !== undefined) outcome.because = node.because;
    setOwn(nodes, id, outcome);
  }
  return {
    runId: record.runId,
    status: record.status as RunResult['status'],
    nodes,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt ?? record.updatedAt,
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
