import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { EMULATOR_CREDENTIALS } from '@loraflow/emulator/node';
import { describe, expect, it } from 'vitest';
import { useTestCluster } from '../../store-postgres/src/test/use-cluster';
import { withPool } from '../../store-postgres/src/test/with-pool';
import { runCli } from './cli';
import { testIo } from './test/collect';
import { eventually } from './test/eventually';
import { hits, proofEnvironment } from './test/proof-env';
import { startServe } from './test/serving';
import { emulatorEnv, spawnCli } from './test/spawn-cli';
import { trainingGraph } from './test/webhook-rig';

// `loraflow worker --tenants --public-url`: a separate worker executes a tenant's queued run on that tenant's keys,
// and its training wakes on the callback serve received, as serve's own workers would.

const cluster = useTestCluster();
const { dir, emulator } = proofEnvironment();

const ALICE = { key: 'ml-alice-key-5b1e9d', token: 'alice-token-0123456789abcdef' };
const BOB = { key: 'ml-bob-key-c40a7f', token: 'bob-token-0123456789abcdef01' };
const WEBHOOK_SECRET = 'worker-peer-webhook-secret-0123456789abcdef';
const SECRETS = [ALICE.key, ALICE.token, BOB.key, BOB.token, WEBHOOK_SECRET];

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

describe('loraflow worker --tenants --public-url', () => {
  it('executes a tenant’s queued run on that tenant’s key and wakes its training on the callback serve verified, with no key in PostgreSQL or its output', async () => {
    const database = await cluster().createDatabase();
    // the host's key is position 0, Alice's 1, Bob's 2: the log names accounts by position
    const server = await emulator({
      credentials: { modelslab: [EMULATOR_CREDENTIALS.modelslab.key, ALICE.key, BOB.key] },
    });
    const cwd = await dir();
    await writeFile(
      join(cwd, 'tenants.json'),
      JSON.stringify({
        tenants: [ALICE, BOB].map((t, i) => ({
          token: t.token,
          tenant: i === 0 ? 'alice' : 'bob',
          providers: { modelslab: { apiKey: t.key } },
        })),
      }),
      // the file holds keys: only its owner may read it (file.unprotected otherwise)
      { mode: 0o600 },
    );
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const env = { ...emulatorEnv(server), LORAFLOW_WEBHOOK_SECRET: WEBHOOK_SECRET };
    const common = ['--database', database, '--tenants', 'tenants.json', '--public-url', publicUrl];
    const serve = await startServe(
      ['--port', String(port), '--workers', '0', '--store', 'store', ...common],
      cwd,
      env,
    );
    // no --max-poll: between the 5-minute safety-net polls only the callback can end the wait
    const worker = spawnCli(['worker', '--concurrency', '1', '--store', 'worker-store', ...common], {
      cwd,
      env,
    });
    try {
      await eventually(() => expect(worker.stdout()).toMatch(/executing queued runs/), 50);
      const auth = { authorization: `Bearer ${BOB.token}` };
      const posted = await fetch(`${serve.url}/runs`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ graph: trainingGraph() }),
      });
      expect(posted.status).toBe(201);
      const { runId } = (await posted.json()) as { runId: string };
      await (await fetch(`${serve.url}/runs/${runId}/events`, { headers: auth })).text();
      const run = (await (await fetch(`${serve.url}/runs/${runId}`, { headers: auth })).json()) as {
        status: string;
      };
      expect(run.status).toBe('succeeded');
      expect(worker.stdout()).toContain(`executing run ${runId}`);

      // every provider call went with Bob's key, none with the host's or Alice's
      const calls = server.emulator.log.entries().filter((e) => e.route.startsWith('modelslab.'));
      expect(calls.length).toBeGreaterThan(0);
      expect(new Set(calls.map((e) => e.account))).toEqual(new Set(['modelslab-key-2']));
      // the worker's callback URL verified at serve's receiver, and its wait read the status once or twice
      const delivered = server.emulator.webhooks.deliveries();
      expect(delivered.length).toBeGreaterThan(0);
      for (const d of delivered) {
        expect(d.url.startsWith(`${publicUrl}/hooks/modelslab-training/`)).toBe(true);
        expect(d.status).toBe(200);
      }
      expect(hits(server, 'modelslab.training.status').length).toBeLessThanOrEqual(2);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      expect(await serve.stop()).toBe(0);
    }
    const rows = await withPool(database, async (pool) => {
      const tables = await pool.query<{ schema: string; name: string }>(
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
          WHERE table_schema LIKE 'loraflow%' AND table_type = 'BASE TABLE'`,
      );
      const texts: string[] = [];
      for (const t of tables.rows) {
        const all = await pool.query<{ row: string }>(
          `SELECT t::text AS row FROM "${t.schema}"."${t.name}" t`,
        );
        texts.push(...all.rows.map((r) => r.row));
      }
      return texts.join('\n');
    });
    expect(rows).toContain('bob');
    for (const secret of SECRETS) {
      expect(rows).not.toContain(secret);
      expect(worker.stdout() + worker.stderr()).not.toContain(secret);
    }
  });

  it('refuses --public-url without LORAFLOW_WEBHOOK_SECRET, and a malformed one, naming the flag', async () => {
    const database = 'postgres://127.0.0.1:1/none';
    for (const [env, args] of [
      [{}, ['--public-url', 'https://flows.example']],
      [{ LORAFLOW_WEBHOOK_SECRET: WEBHOOK_SECRET }, ['--public-url', 'ftp://flows.example']],
    ] as const) {
      const io = testIo({ cwd: await dir(), env });
      expect(await runCli(['worker', '--database', database, ...args], io)).toBe(2);
      expect(io.stderr.text()).toMatch(/^loraflow: flag\.invalid at --public-url: /m);
    }
    const io = testIo({ cwd: await dir(), env: {} });
    expect(
      await runCli(
        [
          'serve',
          '--port',
          '0',
          '--database',
          database,
          '--workers',
          '0',
          '--public-url',
          'https://f.example',
        ],
        io,
      ),
    ).toBe(2);
    expect(io.stderr.text()).toMatch(/flag\.invalid at --public-url: .*LORAFLOW_WEBHOOK_SECRET/);
  });
});
