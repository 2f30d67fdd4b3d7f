import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './cli';
import { testIo } from './test/collect';
import { startServe } from './test/serving';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function callback(url: string, path: string) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'success', training_status: 'model_ready', model_id: 'x' }),
  });
  return {
    status: response.status,
    code: ((await response.json()) as { error: { code: string } }).error.code,
  };
}

const FORGED = `/hooks/modelslab-training/lf-0123456789abcdef/${'A'.repeat(43)}`;

describe('serve --public-url', () => {
  it('mounts the callback route outside the bearer token, and keeps its secret in the store for its owner only', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'loraflow-hooks-'));
    dirs.push(cwd);
    const served = await startServe(['--store', 'store', '--public-url', 'https://flows.example/'], cwd);
    try {
      expect(await callback(served.url, FORGED)).toEqual({ status: 401, code: 'webhook.forged' });
      const secret = await stat(join(cwd, 'store', 'emulator', 'webhook-secret'));
      expect(secret.mode & 0o077).toBe(0);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });

  it('has no callback route without it: the token guards every path', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'loraflow-hooks-'));
    dirs.push(cwd);
    const served = await startServe(['--store', 'store'], cwd);
    try {
      expect(await callback(served.url, FORGED)).toEqual({ status: 401, code: 'auth.required' });
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });

  it('refuses a public URL that is not http(s), naming the flag', async () => {
    const io = testIo({ cwd: tmpdir() });
    expect(await runCli(['serve', '--port', '0', '--public-url', 'ftp://flows.example'], io)).toBe(2);
    expect(io.stderr.text()).toMatch(/^loraflow: flag\.invalid at --public-url: /m);
  });
});
