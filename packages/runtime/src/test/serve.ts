import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { onTestFinished } from 'vitest';

/** Serves a fetch handler on 127.0.0.1 at a free port; the server and its open streams close when the test ends. */
export async function listen(handler: (request: Request) => Promise<Response>): Promise<{ url: string }> {
  const { server, port } = await new Promise<{ server: Server; port: number }>((resolve) => {
    const started = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({ server: started as Server, port: info.port }),
    );
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${port}` };
}

/** POSTs JSON to a served handler: `post(path, body)` answers the raw response. */
export function poster(url: string): (path: string, body?: unknown) => Promise<Response> {
  return (path, body = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
}
