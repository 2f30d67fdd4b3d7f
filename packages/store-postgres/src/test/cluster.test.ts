import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { findPostgresBin } from './cluster';

it('fails with a sentence naming scripts/ensure-postgres.sh when PostgreSQL is not installed', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'loraflow-no-pg-'));
  onTestFinished(() => rm(empty, { recursive: true, force: true }));
  expect(() =>
    findPostgresBin({ pgConfig: join(empty, 'pg_config'), versionsDir: empty, path: empty }),
  ).toThrow(/were not found: run scripts\/ensure-postgres\.sh/);
});

it('finds the server programs of the PostgreSQL installed here', () => {
  const version = execFileSync(join(findPostgresBin(), 'initdb'), ['--version'], { encoding: 'utf8' });
  expect(version).toMatch(/^initdb \(PostgreSQL\) \d+/);
});
