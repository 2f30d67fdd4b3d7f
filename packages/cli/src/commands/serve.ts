import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createRuntimeHandler } from '@loraflow/runtime';
import { parseFlags, serveFlagsSchema } from '../flags';
import type { CliIo } from '../io';
import { openRuntime } from '../setup';
import { listen } from './listen';

/**
 * `loraflow serve`: the runtime's HTTP API (runs, events as SSE, catalogue) on `--port`, 127.0.0.1 by default, with
 * the keys of the environment (or the built-in emulator).
 *
 * @example
 * await serveCommand(io, { port: 8787 });
 */
export async function serveCommand(io: CliIo, rawFlags: unknown): Promise<number> {
  const flags = parseFlags(serveFlagsSchema, rawFlags);
  // The token is printed once, as Jupyter does; it never reaches a log line or a run.
  const given = io.env.LORAFLOW_TOKEN;
  const token = given && given.length > 0 ? given : randomBytes(24).toString('base64url');
  if (token.length < 16) {
    io.stderr.write('loraflow: LORAFLOW_TOKEN must be at least 16 characters long\n');
    return 2;
  }
  if (!given) io.stderr.write(`loraflow: token ${token}\n`);
  // Graphs arriving over HTTP read files only under --files-root, and none without it.
  const filesRoot = flags.filesRoot !== undefined ? resolve(io.cwd, flags.filesRoot) : undefined;
  const cli = await openRuntime(io, { store: flags.store, filesRoot, outDir: io.cwd });
  try {
    return await listen(io, 'loraflow runtime', async () => {
      // The Host allow-list needs the port the server got, so the handler is made once it listens.
      let handler: ((request: Request) => Promise<Response>) | undefined;
      const server = serve({
        fetch: (request) => (handler ? handler(request) : Promise.resolve(NOT_READY())),
        port: flags.port,
        hostname: flags.host,
      });
      await new Promise<void>((ok, fail) => {
        server.once('listening', ok);
        server.once('error', fail);
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : flags.port;
      const hosts = [...hostsOf(flags.host, port), ...flags.allowHost];
      if (isWildcard(flags.host) && flags.allowHost.length === 0) {
        io.stderr.write(
          `loraflow: listening on every interface; requests must name this machine as ${hosts.join(' or ')} — add --allow-host <name:port> for the names other machines use\n`,
        );
      }
      handler = createRuntimeHandler(cli.runtime, {
        token,
        allowedOrigins: flags.allowOrigin,
        allowedHosts: hosts,
      });
      return {
        url: `http://${flags.host}:${port}`,
        close: () =>
          new Promise<void>((ok) => {
            server.close(() => ok());
            (server as import('node:http').Server).closeAllConnections?.();
          }),
      };
    });
  } finally {
    await cli.close();
  }
}

// The names a client on this machine may put in Host for the bound address (DNS rebinding sends any other).
function hostsOf(host: string, port: number): string[] {
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  // a wildcard bind is reached by this machine's names, never by the literal 0.0.0.0
  const names =
    loopback || isWildcard(host)
      ? ['127.0.0.1', 'localhost', '[::1]', ...(isWildcard(host) ? [hostname()] : [])]
      : [host.includes(':') ? `[${host}]` : host];
  return names.map((name) => `${name}:${port}`);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

// answered in the instant between listening and the handler being made (the Host list needs the port)
const NOT_READY = () =>
  new Response(
    JSON.stringify({ error: { code: 'server.busy', message: 'The server is starting; try again.' } }),
    {
      status: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '1' },
    },
  );
