import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createEmulator, type Emulator, type EmulatorOptions, isConnectionReset } from './emulator';
import { createRequestRecorder, readRecordedRequests } from './persist';
import { createRecordingFetch, restoreEmulator } from './recording';

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
   * still there. Not combinable with `faults` or `emulator`.
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
  const emulator = given ?? (persistFile ? await restore(persistFile, rest) : createEmulator(rest));
  const handle = persistFile
    ? createRecordingFetch(emulator, createRequestRecorder(persistFile))
    : (request: Request) => emulator.fetch(request);
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

/** Rebuilds an emulator from its persistence file, then lets its clock run as asked. */
function restore(file: string, options: EmulatorOptions): Promise<Emulator> {
  return restoreEmulator(readRecordedRequests(file).requests, options);
}

export * from './index';
export { createRequestRecorder, type LoadedRequests, readRecordedRequests } from './persist';
