import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

// A throwaway PostgreSQL cluster per test file: initdb in a temp folder, a postmaster on 127.0.0.1 and a free port,
// run as the `postgres` system user when the tests run as root (PostgreSQL refuses to run as root).

const HINT = 'run scripts/ensure-postgres.sh (it installs Debian’s postgresql package) and try again';

/**
 * Where PostgreSQL's server programs are: `pg_config --bindir`, else the newest `/usr/lib/postgresql/<version>/bin`
 * (Debian keeps them off PATH), else PATH. Throws one sentence naming scripts/ensure-postgres.sh when none has them.
 */
export function findPostgresBin(o: { pgConfig?: string; versionsDir?: string; path?: string } = {}): string {
  const has = (dir: string) => {
    try {
      accessSync(join(dir, 'initdb'), constants.X_OK);
      accessSync(join(dir, 'postgres'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const candidates: string[] = [];
  try {
    const out = execFileSync(o.pgConfig ?? 'pg_config', ['--bindir'], { encoding: 'utf8', stdio: 'pipe' });
    candidates.push(out.trim());
  } catch {
    // pg_config comes with libpq-dev, which a server install does not need: look further.
  }
  const versionsDir = o.versionsDir ?? '/usr/lib/postgresql';
  try {
    const versions = readdirSync(versionsDir).filter((v) => /^\d+$/.test(v));
    versions.sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(versionsDir, v, 'bin')));
  } catch {
    // Not a Debian layout.
  }
  candidates.push(...(o.path ?? process.env.PATH ?? '').split(delimiter).filter(Boolean));
  const found = candidates.find(has);
  if (!found) throw new Error(`PostgreSQL's server programs (initdb, postgres) were not found: ${HINT}.`);
  return found;
}

/**
 * A running throwaway cluster: its port, a URL per database, and `stop()`, which ends the server and removes its
 * folder.
 */
export interface TestCluster {
  readonly port: number;
  /** A connection URL for `database` (default `postgres`) as the cluster's superuser, over TCP on 127.0.0.1. */
  url(database?: string): string;
  /** Creates an empty database and answers its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });

/** How to run a program as the cluster's owner: the `postgres` user when root, with its death tied to ours. */
function owner(): { uid: number; gid: number; prefix: string[] } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
  } catch {
    throw new Error(
      `The tests run as root and PostgreSQL will not; no 'postgres' system user exists to run it: ${HINT}.`,
    );
  }
  return { uid, gid, prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups'] };
}

/**
 * Starts a cluster in a new temp folder. `durable: false` (the default, for tests) turns off fsync and friends: a
 * crash loses nothing worth keeping here, and commits cost a tenth.
 *
 * @example
 * const cluster = await startTestCluster();
 * const url = await cluster.createDatabase();
 * // ...
 * await cluster.stop();
 */
export async function startTestCluster(o: { durable?: boolean } = {}): Promise<TestCluster> {
  const bin = findPostgresBin();
  const as = owner();
  const dir = await mkdtemp(join(tmpdir(), 'loraflow-pg-'));
  try {
    if (as) await chown(dir, as.uid, as.gid);
    const data = join(dir, 'data');
    // LC_ALL=C: English messages whatever the machine's locale, and a C-locale cluster that needs no locale installed.
    const env = { ...process.env, LC_ALL: 'C' };
    const initdb = [
      join(bin, 'initdb'),
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
    ];
    const argv = [...(as?.prefix ?? []), ...initdb, '--no-sync', '--no-instructions'];
    try {
      execFileSync(argv[0]!, argv.slice(1), { env, stdio: 'pipe' });
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? error);
      throw new Error(`initdb failed in ${dir}: ${stderr.trim()}`);
    }
    const settings = o.durable ? [] : ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'];
    // A port can be taken between asking for a free one and binding it: try again with another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const postgres = [join(bin, 'postgres'), '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir];
      const child = spawn(
        as ? 'setpriv' : join(bin, 'postgres'),
        [
          ...(as ? [...as.prefix.slice(1), '--pdeathsig=QUIT', '--', ...postgres] : postgres.slice(1)),
          ...settings.flatMap((s) => ['-c', s]),
        ],
        { env, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const started = await waitReady(child, port);
      if (started === true) return running(child, port, dir);
      if (!/could not bind|already in use/i.test(started) || attempt === 3)
        throw new Error(`PostgreSQL did not start in ${dir}: ${started.trim()}`);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * True once the server accepts a connection; the tail of its log if it exits first. No deadline: a loaded machine
 * only makes it slower, and a server that neither starts nor exits is ended by the suite's hang guard.
 */
async function waitReady(child: ChildProcess, port: number): Promise<true | string> {
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log = (log + chunk).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (!exited) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return log || 'no output';
}

function running(child: ChildProcess, port: number, dir: string): TestCluster {
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  // Should the test process end without stop(), the server goes with it (the pdeathsig covers a killed process).
  const onExit = () => child.kill('SIGQUIT');
  process.once('exit', onExit);
  let count = 0;
  return {
    port,
    url,
    async createDatabase(name = `test_${++count}`) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop() {
      process.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        // Immediate shutdown: nothing here is worth a checkpoint.
        child.kill('SIGQUIT');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
