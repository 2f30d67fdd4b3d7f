import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const fixture = fileURLToPath(new URL('./fixtures/summary/', import.meta.url));

/** Runs vitest on the fixture project in a child process, as CI would; `filter` narrows it to some files. */
function runFixture(...filter: string[]): Promise<{ code: number | null; line: string }> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  // The child is a run of its own, not a worker of this one.
  for (const name of Object.keys(env))
    if (name.startsWith('VITEST') || name === 'NODE_OPTIONS') delete env[name];
  const child = spawn(
    process.execPath,
    [vitestBin, 'run', '--config', join(fixture, 'vitest.config.ts'), ...filter],
    { cwd: fixture, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr.resume();
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, line: out.split('\n').find((l) => l.startsWith('Tests:')) ?? out }),
    );
  });
}

describe('the summary line', () => {
  it('counts a beforeAll that timed out as a failure, though no test failed', async () => {
    const run = await runFixture('before-all');
    expect(run.code).toBe(1);
    expect(run.line).toBe(
      'Tests: 0 passed, 1 failed, 2 skipped (failed: 0 tests, 1 hook, 0 file loads, 0 unhandled errors); Files: 0 passed, 1 failed',
    );
  });

  it('counts failed tests, hooks, files that did not load and unhandled errors, each once', async () => {
    const run = await runFixture();
    expect(run.code).toBe(1);
    // fails: 1 test · before-all and after-all: 1 hook each · load: 1 file · unhandled: 1 error.
    expect(run.line).toBe(
      'Tests: 4 passed, 5 failed, 3 skipped (failed: 1 test, 2 hooks, 1 file load, 1 unhandled error); Files: 2 passed, 4 failed',
    );
  });

  it('says 0 failed when the run passed', async () => {
    const run = await runFixture('passes');
    expect(run).toEqual({
      code: 0,
      line: 'Tests: 2 passed, 0 failed, 0 skipped (failed: 0 tests, 0 hooks, 0 file loads, 0 unhandled errors); Files: 1 passed, 0 failed',
    });
  });
});
