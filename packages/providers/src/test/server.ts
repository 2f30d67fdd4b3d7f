import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DownloadError } from '../errors';

/** One request as the scripted server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * What the handler does: answer (a `Uint8Array` body is sent as bytes), hold the response forever,
 * drop the socket after reading the request, or write the response itself (bodies that drip or
 * never end).
 */
export type Script = (
  req: SeenRequest,
  n: number,
) =>
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | 'hang'
  | 'reset'
  | ((res: ServerResponse) => void);

/**
 * A loopback HTTP server for transport-level tests (resets, hangs, exact statuses) that the emulator's
 * routes do not reach. Port 0, closes every socket on `close()`.
 */
export async function startScriptedServer(script: Script) {
  const seen: SeenRequest[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(r);
      const action = script(r, seen.length);
      if (action === 'hang') {
        held.push(res);
        return;
      }
      if (action === 'reset') {
        req.socket.destroy();
        return;
      }
      if (typeof action === 'function') {
        held.push(res);
        action(res);
        return;
      }
      if (action.body instanceof Uint8Array) {
        res.writeHead(action.status, { 'content-type': 'application/octet-stream', ...action.headers });
        res.end(action.body);
        return;
      }
      const text = typeof action.body === 'string' ? action.body : JSON.stringify(action.body ?? {});
      res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async close() {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/**
 * A `serve(script)` for one test file: each server it starts is closed after the test (pass
 * vitest's `afterEach`, so this module stays importable outside vitest, as the bench does).
 */
export function scriptedServers(afterEach: (fn: () => Promise<void>) => void) {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  return async (script: Script) => {
    const s = await startScriptedServer(script);
    open.push(s);
    return s;
  };
}

/** What a download rejected with; throws (failing the test) when it resolved or failed otherwise. */
export async function downloadFailure(p: Promise<unknown>): Promise<DownloadError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DownloadError)) throw new Error(`expected a DownloadError, got ${String(e)}`);
  return e;
}

/** What a call rejected with, whatever it is; throws (failing the test) when the call resolved. */
export async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
}
