import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli';
import { readProviderEnv } from './env';
import { readTenantsFile } from './tenants-file';
import { testIo } from './test/collect';
import { hits, POLL, proofEnvironment } from './test/proof-env';
import { startServe } from './test/serving';
import { filesUnder } from './test/spawn-cli';

// `loraflow serve --tenants <file>`: each caller's bearer token picks a tenant whose own keys its runs spend.

const { emulator, dir } = proofEnvironment();
// the file holds keys: only its owner may read it, or serve refuses it (file.unprotected)
const PRIVATE = { mode: 0o600 };

const ALICE = {
  key: 'api_alice_key',
  secret: 'alice-scenario-secret-7c1d',
  token: 'alice-token-0123456789abcdef',
};
const BOB = { key: 'api_bob_key', secret: 'bob-scenario-secret-93fe', token: 'bob-token-0123456789abcdef01' };
const tenantsFile = {
  tenants: [
    {
      token: ALICE.token,
      tenant: 'alice',
      providers: { scenario: { apiKey: ALICE.key, apiSecret: ALICE.secret, projectId: 'proj_alice' } },
    },
    { token: BOB.token, tenant: 'bob', providers: { scenario: { apiKey: BOB.key, apiSecret: BOB.secret } } },
  ],
};

describe('loraflow serve --tenants', () => {
  it('runs a tenant’s graph on the keys its token names, and refuses a token no tenant has', async () => {
    const server = await emulator({
      credentials: {
        scenario: [
          { key: ALICE.key, secret: ALICE.secret },
          { key: BOB.key, secret: BOB.secret, projectId: 'proj_bob' },
        ],
      },
    });
    const cwd = await dir();
    await writeFile(join(cwd, 'tenants.json'), JSON.stringify(tenantsFile), PRIVATE);
    const serve = await startServe(
      ['--tenants', 'tenants.json', '--store', 'store', '--files-root', '.', ...POLL],
      cwd,
      {
        SCENARIO_BASE_URL: `${server.url}/scenario/v1`,
      },
    );
    try {
      const as = (token: string | undefined, path: string, body?: unknown) =>
        fetch(`${serve.url}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const graph = JSON.parse(await readFile(join(cwd, 'compose-train-generate.json'), 'utf8')) as unknown;
      const started = await as(ALICE.token, '/runs', { graph });
      expect(started.status).toBe(201);
      const { runId } = (await started.json()) as { runId: string };
      await (await as(ALICE.token, `/runs/${runId}/events`)).text();
      expect(((await (await as(ALICE.token, `/runs/${runId}`)).json()) as { status: string }).status).toBe(
        'succeeded',
      );
      // every training call went with Alice's key; Bob sees no run, and a stranger nothing at all
      expect(hits(server, 'scenario.models.train').map((e) => e.account)).toEqual([
        'scenario-key-0',
        'scenario-key-0',
      ]);
      expect(await (await as(BOB.token, '/runs')).json()).toEqual({ runs: [] });
      expect((await as(BOB.token, `/runs/${runId}`)).status).toBe(404);
      for (const token of [undefined, 'not-a-tenant-token-at-all']) {
        const refused = await as(token, '/runs');
        expect(refused.status).toBe(401);
        expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
          'tenant.unauthorized',
        );
      }
      expect(serve.io.stderr.text()).not.toMatch(/loraflow: token /);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    for (const file of await filesUnder(join(cwd, 'store')))
      for (const secret of [ALICE.secret, ALICE.token, BOB.secret, BOB.token])
        expect(file.bytes.includes(secret), `${file.path} holds a secret`).toBe(false);
  });

  it('refuses a tenants file that is malformed, naming where without quoting it', async () => {
    const cwd = await dir();
    const leaked = 'short-key-that-leaks';
    await writeFile(
      join(cwd, 'bad.json'),
      JSON.stringify({
        tenants: [{ token: 'tiny', tenant: 'x', providers: { modelslab: { apiKey: leaked } } }],
      }),
      PRIVATE,
    );
    const io = testIo({ cwd });
    const code = await runCli(['serve', '--port', '0', '--tenants', 'bad.json'], io);
    expect(code).toBe(2);
    expect(io.stderr.text()).toContain('file.invalid at bad.json');
    expect(io.stderr.text()).toContain(
      'tenants[0].token: The tenants file is refused here: must be at least 16 characters.',
    );
    expect(io.stderr.text()).not.toContain(leaked);
    expect(io.stderr.text()).not.toContain('tiny');
  });

  it('refuses a tenants file with a key of the wrong type in a sentence, naming the key', async () => {
    const cwd = await dir();
    await writeFile(
      join(cwd, 'typed.json'),
      JSON.stringify({
        tenants: [{ token: 'a-token-long-enough', tenant: 'x', providers: { modelslab: { apiKey: 5 } } }],
      }),
      PRIVATE,
    );
    const io = testIo({ cwd });
    expect(await runCli(['serve', '--port', '0', '--tenants', 'typed.json'], io)).toBe(2);
    expect(io.stderr.text().trim()).toBe(
      'loraflow: file.invalid at typed.json.tenants[0].providers.modelslab.apiKey: The tenants file is refused here: invalid input: expected string, received number.',
    );
  });

  it('refuses a field it does not know, naming a misspelt field but never a key or token written as a field', async () => {
    const cwd = await dir();
    const token = 'tok-used-as-a-field-0123456789';
    const key = 'sk-live-key-as-field-93fe71';
    const tenant = { token, tenant: 'x', providers: { modelslab: { apiKey: 'modelslab-key-fields-01' } } };
    // a file keyed by token (a natural guess at the format), and a key pasted where a field name goes
    const files = {
      'keyed.json': { tenants: [tenant], [token]: { tenant: 'x' } },
      'pasted.json': {
        tenants: [
          { ...tenant, providers: { modelslab: { ...tenant.providers.modelslab, apikey: 'k', [key]: 1 } } },
        ],
      },
    };
    for (const [name, content] of Object.entries(files)) {
      await writeFile(join(cwd, name), JSON.stringify(content), PRIVATE);
      const io = testIo({ cwd });
      expect(await runCli(['serve', '--port', '0', '--tenants', name], io)).toBe(2);
      const said = io.stderr.text();
      expect(said).toContain(`file.invalid at ${name}`);
      expect(said).not.toContain(token);
      expect(said).not.toContain(key);
      if (name === 'pasted.json')
        expect(said.trim()).toBe(
          'loraflow: file.invalid at pasted.json.tenants[0].providers.modelslab: The tenants file is refused here: this file has no such field: "apikey", 1 not shown (it may be a key or token).',
        );
    }
  });

  it('reads the token from an Authorization header as HTTP spells it: any case of Bearer, any spaces before it', async () => {
    const cwd = await dir();
    await writeFile(join(cwd, 'tenants.json'), JSON.stringify(tenantsFile), PRIVATE);
    const served = await readTenantsFile(join(cwd, 'tenants.json'), 'tenants.json', readProviderEnv({}));
    const who = (authorization: string) =>
      (
        served.credentials(new Request('http://127.0.0.1/runs', { headers: { authorization } })) as
          | { tenant: string }
          | undefined
      )?.tenant;
    // the scheme is case-insensitive (RFC 9110), as the single-token guard (hono's bearerAuth) reads it
    for (const scheme of ['Bearer', 'bearer', 'BEARER'])
      expect(who(`${scheme} ${ALICE.token}`)).toBe('alice');
    expect(who(`Bearer   ${BOB.token}`)).toBe('bob');
    expect(who(`Basic ${ALICE.token}`)).toBeUndefined();
    expect(who(`Bearer ${ALICE.token}x`)).toBeUndefined();
  });

  it('refuses a tenants file over 16 MiB before reading it', async () => {
    const cwd = await dir();
    await writeFile(join(cwd, 'huge.json'), '', PRIVATE);
    // sparse: the size is what is checked, the bytes are never read
    await truncate(join(cwd, 'huge.json'), 16 * 1024 * 1024 + 1);
    const io = testIo({ cwd });
    expect(await runCli(['serve', '--port', '0', '--tenants', 'huge.json'], io)).toBe(2);
    expect(io.stderr.text().trim()).toBe(
      'loraflow: file.too-large at huge.json: The tenants file is larger than 16 MiB.',
    );
  });

  it.runIf(process.platform !== 'win32')(
    'refuses a tenants stream over 16 MiB (a pipe, /dev/stdin) after reading 16 MiB, as its size says nothing',
    async () => {
      const cwd = await dir();
      const fifo = join(cwd, 'piped.json');
      execFileSync('mkfifo', ['-m', '600', fifo]);
      const io = testIo({ cwd });
      const refused = runCli(['serve', '--port', '0', '--tenants', 'piped.json'], io);
      const out = createWriteStream(fifo);
      let written = 0;
      // the reader closes early: the rest of the stream is refused with EPIPE, which is the point
      out.on('error', () => undefined);
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const pump = () => {
        while (written < 64 * 1024 * 1024 && !out.destroyed) {
          written += chunk.length;
          if (!out.write(chunk)) return void out.once('drain', pump);
        }
        out.end();
      };
      pump();
      expect(await refused).toBe(2);
      out.destroy();
      expect(io.stderr.text().trim()).toBe(
        'loraflow: file.too-large at piped.json: The tenants file is larger than 16 MiB.',
      );
      expect(written).toBeLessThan(64 * 1024 * 1024);
    },
  );

  it('refuses a tenant that names no provider, at load, with its path', async () => {
    const cwd = await dir();
    const token = 'a-token-long-enough-0001';
    await writeFile(
      join(cwd, 'empty.json'),
      JSON.stringify({ tenants: [{ token, tenant: 'nobody', providers: {} }] }),
      PRIVATE,
    );
    const io = testIo({ cwd });
    expect(await runCli(['serve', '--port', '0', '--tenants', 'empty.json'], io)).toBe(2);
    expect(io.stderr.text().trim()).toBe(
      'loraflow: file.invalid at empty.json.tenants[0].providers: The tenants file is refused here: must name at least one provider (scenario or modelslab).',
    );
    expect(io.stderr.text()).not.toContain(token);
  });

  it.runIf(process.platform !== 'win32')(
    'refuses a tenants file that group or others may read, like ssh a private key, without printing a key',
    async () => {
      const cwd = await dir();
      const key = 'modelslab-key-open-file-77';
      const text = JSON.stringify({
        tenants: [
          { token: 'a-token-long-enough-0002', tenant: 'x', providers: { modelslab: { apiKey: key } } },
        ],
      });
      for (const mode of [0o644, 0o640, 0o604]) {
        await writeFile(join(cwd, 'open.json'), text);
        await chmod(join(cwd, 'open.json'), mode);
        const io = testIo({ cwd });
        expect(await runCli(['serve', '--port', '0', '--tenants', 'open.json'], io)).toBe(2);
        expect(io.stderr.text().trim()).toBe(
          `loraflow: file.unprotected at open.json: The tenants file holds provider keys, but its mode 0${mode.toString(8)} lets group or others read or change it; make it private with chmod 600 open.json.`,
        );
        expect(io.stderr.text()).not.toContain(key);
      }
      // once private, the same file is read
      await chmod(join(cwd, 'open.json'), 0o600);
      const served = await readTenantsFile(join(cwd, 'open.json'), 'open.json', readProviderEnv({}));
      expect(served.secrets).toContain(key);
    },
  );
});
