import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EMULATOR_CREDENTIALS, type RunningEmulator } from '@loraflow/emulator/node';

const main = new URL('../main.ts', import.meta.url).pathname;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
export const examplesDir = new URL('../../../../examples/', import.meta.url).pathname;

/** A `loraflow` child process: its output so far, and its end. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Parsed NDJSON lines of stdout (with --json). */
  records(): Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/**
 * Starts the real command (`node --conditions=source --import tsx src/main.ts`) in `cwd` with exactly `env` — no
 * inherited provider variables — so it talks to whatever emulator the test points it at, over HTTP.
 */
export function spawnCli(args: string[], o: { cwd: string; env: Record<string, string> }): CliProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, main, ...args], {
    cwd: o.cwd,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    err += s;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    records: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
  };
}

/** Kills every child a test left running (a failed assertion must not leave a CLI polling forever). */
export function killStragglers(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** The environment that points a CLI at an emulator server with given (or the emulator's default) credentials. */
export function emulatorEnv(
  server: RunningEmulator,
  creds: { key: string; secret: string; modelslab: string } = {
    key: EMULATOR_CREDENTIALS.scenario.key,
    secret: EMULATOR_CREDENTIALS.scenario.secret,
    modelslab: EMULATOR_CREDENTIALS.modelslab.key,
  },
): Record<string, string> {
  return {
    SCENARIO_API_KEY: creds.key,
    SCENARIO_API_SECRET: creds.secret,
    SCENARIO_BASE_URL: `${server.url}/scenario/v1`,
    MODELSLAB_API_KEY: creds.modelslab,
    MODELSLAB_BASE_URL: `${server.url}/modelslab/api`,
  };
}

/** A fresh working folder holding a copy of examples/ (graphs and images). */
export async function workspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'loraflow-proof-'));
  await cp(examplesDir, dir, { recursive: true });
  return dir;
}

/** Every file under a folder, recursively, with its bytes. */
export async function filesUnder(dir: string): Promise<Array<{ path: string; bytes: Buffer }>> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ path, bytes: await readFile(path) });
  }
  return out;
}

/** Writes `file` in `cwd`: the example compose-train-generate.json with its prompt node's text set to `prompt`. */
export async function withPrompt(cwd: string, file: string, prompt: string): Promise<string> {
  const doc = JSON.parse(await readFile(join(cwd, 'compose-train-generate.json'), 'utf8')) as {
    nodes: Array<{ id: string; params: Record<string, unknown> }>;
  };
  doc.nodes.find((n) => n.id === 'prompt')!.params.text = prompt;
  await writeFile(join(cwd, file), JSON.stringify(doc));
  return file;
}
