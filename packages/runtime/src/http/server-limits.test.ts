import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { serve } from '@hono/node-server';
import { describe, expect, it, onTestFinished } from 'vitest';
import { boundedServer, type ServerLimits } from './server-limits';

// Real sockets on loopback: Node's own timers enforce these bounds, so the waits here are real (and short). The
// bounds asserted leave room for a loaded machine; without the limits the same waits last 10 to 60 s.

async function start(limits: ServerLimits): Promise<{ port: number; url: string }> {
  // reads the body first, as the runtime's routes do
  const handler = async (request: Request) => {
    await request.text();
    return new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } });
  };
  const { server, port } = await new Promise<{ server: Server; port: number }>((resolve) => {
    const started = serve(
      { fetch: handler, port: 0, hostname: '127.0.0.1', ...boundedServer(limits) },
      (info) => resolve({ server: started as Server, port: info.port }),
    );
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port, url: `http://127.0.0.1:${port}` };
}

interface Raw {
  socket: Socket;
  received: () => string;
  closed: Promise<number>;
}

async function raw(port: number): Promise<Raw> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8').on('data', (s: string) => {
    text += s;
  });
  socket.on('error', () => {});
  const opened = performance.now();
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - opened)),
  );
  onTestFinished(() => {
    socket.destroy();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, received: () => text, closed };
}

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('the condition never held');
}

/** Sends `head`, then `drop` every 50 ms until the server closes the connection: how long that took, and what came back. */
async function dripping(port: number, head: string, drop: string): Promise<{ ms: number; received: string }> {
  const slow = await raw(port);
  slow.socket.write(head);
  const drip = setInterval(() => {
    if (!slow.socket.destroyed) slow.socket.write(drop);
  }, 50);
  const ms = await slow.closed;
  clearInterval(drip);
  return { ms, received: slow.received() };
}

describe('boundedServer', () => {
  it('closes a connection whose headers trickle in slower than the header timeout, with 408', async () => {
    const { port } = await start({ headersTimeoutMs: 300, requestTimeoutMs: 1_000 });
    // one more header line every 50 ms: the connection is never idle, the headers never end
    const slow = await dripping(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'x-slow: 1\r\n');
    expect(slow.ms).toBeLessThan(5_000);
    expect(slow.received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection whose body arrives slower than the request timeout', async () => {
    const { port } = await start({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const head =
      'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const slow = await dripping(port, head, ' ');
    expect(slow.ms).toBeLessThan(5_000);
    expect(slow.received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('answers 503 server.busy on a connection past the cap, never the handler, and serves again once one closes', async () => {
    const { port, url } = await start({ maxConnections: 2 });
    const held: Raw[] = [];
    for (let i = 0; i < 2; i++) {
      const socket = await raw(port);
      socket.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      // answered: the server has counted it, and keep-alive holds it open
      await until(() => socket.received().includes('"ok":true'));
      held.push(socket);
    }
    const busy = await fetch(url);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('5');
    expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('server.busy');
    held[0]!.socket.destroy();
    await until(async () => (await fetch(url)).status === 200);
  });

  it('closes at once a connection past twice the cap', async () => {
    const { port } = await start({ maxConnections: 1 });
    const first = await raw(port);
    first.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => first.received().includes('"ok":true'));
    // idle: past the cap, yet within twice it (accepted in order, before the third)
    const second = await raw(port);
    const third = await raw(port);
    expect(await third.closed).toBeLessThan(3_000);
    expect(third.received()).toBe('');
    expect(second.socket.destroyed).toBe(false);
  });

  it('refuses limits that contradict each other, naming the option', () => {
    expect(() => boundedServer({ headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).toThrow(
      /boundedServer: headersTimeoutMs: headersTimeoutMs cannot exceed requestTimeoutMs/,
    );
    expect(() => boundedServer({ maxConnections: 0 })).toThrow(/boundedServer: maxConnections/);
  });
});
