import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileStore } from '@loraflow/runtime/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli';
import { testIo } from '../test/collect';
import { eventually } from '../test/eventually';
import { hits, POLL, proofEnvironment, trainingPolled } from '../test/proof-env';
import { type CliProcess, emulatorEnv, examplesDir, spawnCli } from '../test/spawn-cli';

const TOKEN = 'serve-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'loraflow-serve-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** `loraflow serve` in this process with `flags`, until `stop()`; its URL once it listens. */
async function served(flags: string[]) {
  let stop = () => {};
  const io = {
    ...testIo({ cwd: examplesDir, env: { LORAFLOW_TOKEN: TOKEN } }),
    untilStopped: () =>
      new Promise<void>((resolve) => {
        stop = resolve;
      }),
  };
  const done = runCli(['serve', '--port', '0', '--store', join(tmp, `s-${Math.random()}`), ...flags], io);
  const url = await eventually(() => {
    const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(io.stdout.text());
    if (!match) throw new Error(`not listening yet: ${io.stderr.text()}`);
    return { url: match[1]!, port: Number(match[2]) };
  });
  const end = () => {
    stop();
    return done;
  };
  return { ...url, io, stop: end };
}

describe('loraflow serve limits', () => {
  it('closes a connection whose headers trickle in past --headers-timeout, and answers 503 past --max-connections', async () => {
    const server = await served([
      '--headers-timeout',
      '300',
      '--request-timeout',
      '1000',
      '--max-connections',
      '1',
    ]);
    try {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      let received = '';
      socket.setEncoding('utf8').on('data', (s: string) => {
        received += s;
      });
      const began = performance.now();
      const closed = new Promise<number>((resolve) =>
        socket.once('close', () => resolve(performance.now() - began)),
      );
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(`GET /nodes HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`);
      const drip = setInterval(() => {
        if (!socket.destroyed) socket.write('x-slow: 1\r\n');
      }, 50);
      // while it trickles, it is the one connection allowed: another is answered busy
      const busy = await fetch(`${server.url}/nodes`, { headers: auth });
      expect(busy.status).toBe(503);
      expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('server.busy');
      const ms = await closed;
      clearInterval(drip);
      expect(ms).toBeLessThan(5_000);
      expect(received).toMatch(/^HTTP\/1\.1 408/);
      await eventually(async () =>
        expect((await fetch(`${server.url}/nodes`, { headers: auth })).status).toBe(200),
      );
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('refuses a header timeout longer than the request timeout, naming the flag', async () => {
    const io = testIo({ cwd: examplesDir, env: { LORAFLOW_TOKEN: TOKEN } });
    expect(await runCli(['serve', '--headers-timeout', '5000', '--request-timeout', '1000'], io)).toBe(2);
    expect(io.stderr.lines().at(-1)).toMatch(
      /^loraflow: flag\.invalid at --headers-timeout: The header timeout/,
    );
  });
});

describe('loraflow serve on SIGTERM', () => {
  const { emulator, dir } = proofEnvironment();

  /** train-from-images.json with its images inline, so it needs no file access from the server. */
  async function inlineGraph(cwd: string): Promise<unknown> {
    const doc = JSON.parse(await readFile(join(cwd, 'train-from-images.json'), 'utf8'));
    for (const node of doc.nodes) {
      if (node.type !== 'training.set') continue;
      node.params.images = await Promise.all(
        node.params.images.map(async (image: { file: string; name: string }) => ({
          name: image.name,
          dataUrl: `data:image/png;base64,${(await readFile(join(cwd, image.file))).toString('base64')}`,
        })),
      );
    }
    return doc;
  }

  async function spawnServe(
    cwd: string,
    env: Record<string, string>,
  ): Promise<{ cli: CliProcess; url: string }> {
    const cli = spawnCli(['serve', '--port', '0', '--store', 'store', ...POLL], {
      cwd,
      env: { ...env, LORAFLOW_TOKEN: TOKEN },
    });
    const url = await eventually(() => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.stdout());
      if (!match) throw new Error(`not listening yet: ${cli.stderr()}`);
      return match[1]!;
    });
    return { cli, url };
  }

  it('stops within 10 s leaving the live run interrupted, and a later serve resumes it to success training once', async () => {
    const server = await emulator({ clock: 'manual' });
    const cwd = await dir();
    const env = emulatorEnv(server);
    const first = await spawnServe(cwd, env);
    const created = await fetch(`${first.url}/runs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ graph: await inlineGraph(cwd) }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { runId } = (await created.json()) as { runId: string };
    await trainingPolled(server);

    const began = performance.now();
    first.cli.child.kill('SIGTERM');
    const exit = await first.cli.exited;
    const ms = performance.now() - began;
    expect(exit.code, first.cli.stderr()).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(first.cli.stderr()).toContain(
      `1 run interrupted, resumable with POST /runs/<id>/resume: ${runId}`,
    );
    const store = createFileStore({ dir: join(cwd, 'store') });
    expect(await store.getRun(runId)).toMatchObject({ status: 'running', interrupted: true, attempts: 1 });
    // nothing was cancelled at the provider: the training goes on there
    expect(hits(server, 'scenario.models.train.action')).toHaveLength(0);

    server.emulator.clock.setSpeed(1000);
    const second = await spawnServe(cwd, env);
    try {
      const resumed = await fetch(`${second.url}/runs/${runId}/resume`, { method: 'POST', headers: auth });
      expect(resumed.status, await resumed.clone().text()).toBe(202);
      const record = await eventually(async () => {
        const r = (await (await fetch(`${second.url}/runs/${runId}`, { headers: auth })).json()) as {
          status: string;
        };
        expect(r.status).not.toBe('running');
        return r;
      });
      expect(record).toMatchObject({ status: 'succeeded', attempts: 2 });
      // the training was re-attached, not started again, and never cancelled
      expect(hits(server, 'scenario.models.train')).toHaveLength(1);
      expect(hits(server, 'scenario.models.train.action')).toHaveLength(0);
    } finally {
      second.cli.child.kill('SIGTERM');
      expect((await second.cli.exited).code).toBe(0);
    }
  });
});
