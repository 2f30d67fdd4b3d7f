import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createEmulator, type Emulator, type EmulatorOptions, isConnectionReset } from './emulator';
import { createRequestRecorder } from './persist';
import {
  isRecorded,
  type RecordedRequest,
  recordedWrite,
  replayCredentials,
  replayRequests,
  restoreEmulator,
} from './recording';
import { SharedStateFile } from './shared-state';

/**
 * Options of {@link startEmulator}: the emulator's own, plus where to listen.
 *
 * @example
 * const options: StartEmulatorOptions = { port: 0, clock: { speed: 60 } };
 */
export interface StartEmulatorOptions extends EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Only loopback: the emulator has no place on a network. */
  host?: '127.0.0.1';
  /** Serve an emulator created beforehand instead of a new one (its publicUrl is set to the bound origin). */
  emulator?: Emulator;
  /**
   * Keep the emulator's state across restarts: every state-changing request is appended to this
   * file (without credentials) and replayed at start, so models trained in an earlier process are
   * still there. Several emulators (processes) may share one file: each appends under a lock and first replays
   * what the others appended, so they agree on every id (requests replayed so also show in this emulator's log).
   * Not combinable with `faults` or `emulator`.
   */
  persistFile?: string;
}

/**
 * A served emulator.
 *
 * @example
 * const running: RunningEmulator = await startEmulator();
 * await running.close();
 */
export interface RunningEmulator {
  /** `http://127.0.0.1:<port>`; Scenario is under `${url}/scenario/v1`, ModelsLab under `${url}/modelslab/api`. */
  url: string;
  emulator: Emulator;
  /** Stops listening and closes open connections; calling it again returns the same promise. */
  close(): Promise<void>;
}

/**
 * Serves an emulator over HTTP on 127.0.0.1. An injected connection reset destroys the socket, so a
 * client sees the same `ECONNRESET` it would from a real server.
 *
 * @example
 * const { url, emulator, close } = await startEmulator({ clock: 'manual' });
 * const res = await fetch(`${url}/_emulator/state`);
 * await close();
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const { port = 0, host = '127.0.0.1', emulator: given, persistFile, ...rest } = options;
  if (host !== '127.0.0.1')
    throw new TypeError(`The emulator only listens on 127.0.0.1, not ${String(host)}.`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`The emulator port must be an integer from 0 to 65535, got ${String(port)}.`);
  }
  if (persistFile !== undefined && (given || rest.faults?.length)) {
    throw new TypeError(
      'persistFile cannot be combined with `emulator` or `faults`: a replay must see what the first run saw.',
    );
  }
  const shared = persistFile !== undefined ? new SharedStateFile(persistFile) : undefined;
  const credentials = replayCredentials(rest);
  const emulator = given ?? (shared ? await restoreEmulator(shared.readNew(), rest) : createEmulator(rest));
  const recorder = persistFile ? createRequestRecorder(persistFile) : undefined;
  /** Applies the writes other emulators appended to the shared file since this one last looked. */
  /** The latest write another emulator sharing the file made, with its wall time: where its clock was then. */
  let peer: { at: number; wall: number } | undefined;
  const catchUp = async () => {
    const foreign = shared?.readNew() ?? [];
    const { speed } = emulator.clock.describe();
    if (foreign.length === 0 && (peer === undefined || speed === 0)) return;
    if (speed > 0) emulator.clock.setManual();
    try {
      // A write replayed here later than it happened starts its job later: the clock then moves on by the
      // largest such lag, so a job the other emulator saw end has ended here too.
      let lag = 0;
      for (const line of foreign) {
        lag = Math.max(lag, emulator.clock.now() - line.at);
        await replayRequests(emulator, [line], credentials);
        if (line.wall !== undefined) peer = { at: line.at, wall: line.wall };
      }
      if (lag > 0) emulator.clock.advance(lag);
      // The other emulator's clock ran on since its last write: ours never falls behind it (time stands still
      // here while a write is handled).
      if (speed > 0 && peer !== undefined) {
        const ahead = peer.at + (Date.now() - peer.wall) * speed - emulator.clock.now();
        if (ahead > 0) emulator.clock.advance(Math.floor(ahead));
      }
    } finally {
      if (speed > 0) emulator.clock.setSpeed(speed);
    }
  };
  // Ids are drawn in the order writes are processed; one write at a time keeps that order the file's.
  let writes: Promise<unknown> = Promise.resolve();
  const handle = async (request: Request): Promise<Response> => {
    const { pathname, search } = new URL(request.url);
    if (recorder && request.method === 'POST' && pathname === '/_emulator/reset') {
      recorder.truncate();
      shared?.truncated();
    }
    if (!recorder || !shared) return emulator.fetch(request);
    if (!isRecorded(request.method, pathname)) {
      // a read sees what other processes sharing the file wrote, as a shared provider would show it
      const caughtUp = writes.then(catchUp);
      writes = caughtUp.catch(() => undefined);
      await caughtUp;
      return emulator.fetch(request);
    }
    const body = await request.text();
    const turn = writes.then(async () => {
      // The file's lock, held from catching up to answering: no other process's write lands in between.
      const unlock = await shared.lock();
      try {
        await catchUp();
        return await ownWrite(recorder, request, `${pathname}${search}`, body);
      } finally {
        await unlock().catch(() => {});
      }
    });
    writes = turn.catch(() => undefined);
    return turn;
  };
  /** Records one write of this emulator's client, appends it to the file, and answers it. */
  /** Records one write of this emulator's client, appends it to the file, and answers it. */
  const ownWrite = async (
    rec: NonNullable<typeof recorder>,
    request: Request,
    path: string,
    body: string,
  ): Promise<Response> => {
    const sink = {
      append: (entry: RecordedRequest) => {
        rec.append(entry);
        shared?.appended();
      },
      truncate: () => rec.truncate(),
    };
    return recordedWrite(emulator, sink, request, path, body);
  };
  const server = createAdaptorServer({
    hostname: host,
    fetch: async (request, env) => {
      try {
        return await handle(request);
      } catch (error) {
        // The client went away (its fetch aborted): nobody will read an answer.
        if (request.signal.aborted) return new Response(null, { status: 499 });
        if (isConnectionReset(error)) {
          // A real reset: the socket is destroyed without a response, as a crashed upstream would.
          env.incoming.socket.destroy();
          return new Response(null, { status: 500 });
        }
        throw error;
      }
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const url = `http://${host}:${address.port}`;
  emulator.setPublicUrl(url);
  return {
    url,
    emulator,
    // Idempotent: a test's cleanup and the code under test may both close.
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        const http = server as import('node:http').Server;
        http.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets would hold close() open until they time out.
        http.closeAllConnections?.();
      })),
  };
}

export * from './index';
export { createRequestRecorder, type LoadedRequests, readRecordedRequests } from './persist';
