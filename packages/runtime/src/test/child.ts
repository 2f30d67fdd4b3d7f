import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A child process running a test script, ready (it has printed its first line) and not yet killed. */
export interface ReadyChild {
  /** Kills it with SIGKILL and answers its exit code once it is gone (null: the signal ended it). */
  killHard(): Promise<number | null>;
}

/**
 * Runs `script` (a TypeScript file under src/test/) in a child Node through tsx, with the `source`
 * condition, and answers once it printed its first line; a child that exits first is an error carrying
 * its stderr. The kill tests of the file store and the runtime both start their victims this way.
 */
export async function startReadyChild(script: URL, args: readonly string[]): Promise<ReadyChild> {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const name = fileURLToPath(script);
  const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, name, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`${name} exited early (${code}): ${stderr}`)));
  });
  return {
    async killHard() {
      if (child.exitCode !== null)
        throw new Error(`${name} stopped by itself (${child.exitCode}): ${stderr}`);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    },
  };
}
