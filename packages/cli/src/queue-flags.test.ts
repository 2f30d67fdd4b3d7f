import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli';
import { testIo } from './test/collect';

async function refusal(args: string[]) {
  const io = testIo({ cwd: '.' });
  const code = await runCli(args, io);
  return { code, err: io.stderr.text().trim() };
}

describe('the flags of serve --database and worker', () => {
  it('refuses --workers and --lease without --database, a URL that is not postgres://, and a worker without a database', async () => {
    expect(await refusal(['serve', '--workers', '2'])).toEqual({
      code: 2,
      err: 'loraflow: flag.invalid at --workers: --workers goes with --database (without it, serve executes runs itself, on the file store).',
    });
    expect((await refusal(['serve', '--lease', '5000'])).err).toMatch(
      /^loraflow: flag\.invalid at --lease: /,
    );
    expect(await refusal(['worker', '--database', 'mysql://db/x'])).toEqual({
      code: 2,
      err: 'loraflow: flag.invalid at --database: The database is a postgres:// URL, e.g. postgres://user:password@host:5432/db.',
    });
    expect((await refusal(['worker'])).err).toMatch(/^loraflow: cli\.usage: .*--database <url>/);
    expect((await refusal(['worker', '--database', 'postgres://db/x', '--concurrency', '0'])).err).toBe(
      'loraflow: flag.invalid at --concurrency: A worker executes at least 1 run at a time.',
    );
  });

  it('answers a database serve cannot reach with store.unusable at --database, never the password in its URL', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'loraflow-queue-flags-'));
    try {
      const io = testIo({ cwd, env: { LORAFLOW_TOKEN: 'queue-flags-token-0123456789' } });
      // port 1 on loopback refuses at once: the run queue is the first thing serve opens
      const code = await runCli(['serve', '--database', 'postgres://u:s3cretpw@127.0.0.1:1/db'], io);
      expect(code).toBe(1);
      expect(io.stderr.text()).toMatch(
        /^loraflow: store\.unusable at --database: The database cannot be used \(ECONNREFUSED\)/m,
      );
      expect(io.stderr.text()).not.toContain('s3cretpw');
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
