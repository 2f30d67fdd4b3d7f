import { createServer, type IncomingMessage, type ServerOptions, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { z } from 'zod';

/**
 * How much a Node HTTP server serving the runtime takes at once, and how long it waits for slow senders.
 *
 * @example
 * const limits: ServerLimits = { maxConnections: 256, headersTimeoutMs: 5_000, requestTimeoutMs: 30_000 };
 */
export interface ServerLimits {
  /** Open connections at once (event streams included); a request on one more is answered `503 server.busy` (default 512). */
  maxConnections?: number;
  /** A request's headers must have arrived this long after it began, else `408` and the socket closes (default 10 s). */
  headersTimeoutMs?: number;
  /** A request (headers and body) must have arrived this long after it began (default 60 s; an answer may stream longer). */
  requestTimeoutMs?: number;
}

const limitsSchema = z
  .object({
    maxConnections: z.number().int().min(1).max(1_000_000).default(512),
    headersTimeoutMs: z.number().int().min(10).max(3_600_000).default(10_000),
    requestTimeoutMs: z.number().int().min(10).max(3_600_000).default(60_000),
  })
  .refine((l) => l.headersTimeoutMs <= l.requestTimeoutMs, {
    message: 'headersTimeoutMs cannot exceed requestTimeoutMs (the headers are part of the request)',
    path: ['headersTimeoutMs'],
  });

const BUSY_BODY = JSON.stringify({
  error: { code: 'server.busy', message: 'The server has too many open connections; try again shortly.' },
});

/**
 * What to give `@hono/node-server`'s `serve` (or use directly) so the server is bounded: `serverOptions` with the
 * header and request timeouts, and a `createServer` that counts open sockets. A request on a connection past
 * `maxConnections` is answered `503 server.busy` (with `Connection: close`) and never reaches the handler; past twice
 * the cap a socket is closed at once, so idle connections cannot pile up either.
 *
 * @example
 * import { serve } from '@hono/node-server';
 * import { boundedServer } from '@loraflow/runtime/node';
 * serve({ fetch: handler, port: 8787, hostname: '127.0.0.1', ...boundedServer({ maxConnections: 128 }) });
 */
export function boundedServer(limits: ServerLimits = {}): {
  serverOptions: ServerOptions;
  createServer: typeof createServer;
} {
  const parsed = limitsSchema.safeParse(limits);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TypeError(`boundedServer: ${issue.path.join('.') || 'limits'}: ${issue.message}.`);
  }
  const { maxConnections, headersTimeoutMs, requestTimeoutMs } = parsed.data;
  const serverOptions: ServerOptions = {
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    // Node checks the two timeouts on this tick (30 s by default), so a bound of a few seconds needs a finer one.
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
  };
  const create = ((options: ServerOptions, listener: (req: IncomingMessage, res: ServerResponse) => void) => {
    const excess = new WeakSet<Socket>();
    let open = 0;
    const server = createServer(options, (req, res) => {
      if (!excess.has(req.socket)) {
        listener(req, res);
        return;
      }
      res.writeHead(503, {
        'content-type': 'application/json',
        'retry-after': '5',
        connection: 'close',
        'content-length': Buffer.byteLength(BUSY_BODY),
      });
      res.end(BUSY_BODY);
    });
    // Before http's own listener, so a socket closed here is never parsed.
    server.prependListener('connection', (socket: Socket) => {
      open++;
      socket.once('close', () => {
        open--;
      });
      if (open > 2 * maxConnections) socket.destroy();
      else if (open > maxConnections) excess.add(socket);
    });
    return server;
  }) as typeof createServer;
  return { serverOptions, createServer: create };
}
