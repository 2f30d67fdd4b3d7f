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
});
