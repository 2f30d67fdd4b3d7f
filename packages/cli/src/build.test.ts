import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const at = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const root = at('');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; no NODE_OPTIONS, so nothing can slip `--conditions=source` into plain node. */
function exec(command: string, args: string[], cwd: string): Promise<Exit> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const node = (args: string[], cwd = root) => exec(process.execPath, args, cwd);
const loraflow = (...args: string[]) => node(['packages/cli/bin/loraflow.js', ...args]);

// A module hook that names on stderr every file the process resolves, static or dynamic import alike.
const traceHooks = `export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.startsWith('file:')) process.stderr.write('loaded ' + resolved.url + '\\n');
  return resolved;
}`;
const tracer = `import { register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(traceHooks)}`)});`;

/** The packages a run of the built bin loads: `@loraflow/<name>` for the workspace's, else the npm name. */
async function packagesLoaded(...args: string[]): Promise<string[]> {
  const run = await node([
    '--import',
    `data:text/javascript,${encodeURIComponent(tracer)}`,
    'packages/cli/bin/loraflow.js',
    ...args,
  ]);
  expect(run.code, run.stderr).toBe(0);
  const names = new Set<string>();
  for (const line of run.stderr.split('\n')) {
    if (!line.startsWith('loaded ')) continue;
    const path = fileURLToPath(line.slice('loaded '.length));
    const dependency = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const workspace = /.*\/packages\/([^/]+)\//.exec(path);
    names.add(dependency ? dependency[1]! : workspace ? `@loraflow/${workspace[1]}` : path);
  }
  return [...names].sort();
}

// Resolved from inside @loraflow/nodes, where @loraflow/core is a dependency, as a host app would.
const hostScript = `
import { readFileSync } from 'node:fs';
import { createEngine, createRegistry, validateGraph } from '@loraflow/core';
import { loraPack } from '@loraflow/nodes';
const registry = createRegistry(loraPack);
const doc = JSON.parse(readFileSync('../../examples/compose-train-generate.json', 'utf8'));
const engine = createEngine({ registry });
process.stdout.write(JSON.stringify({
  core: import.meta.resolve('@loraflow/core'),
  valid: validateGraph(doc, registry).ok,
  steps: engine.plan(doc).steps.length,
  issue: validateGraph({}, registry).issues[0]?.code,
}));
`;

describe('the published build (dist/, plain node, no source condition)', () => {
  // The real root script, every time: CI starts from a clean clone, and a stale dist/ would prove nothing.
  beforeAll(async () => {
    const build = await exec('corepack', ['pnpm', 'run', 'build'], root);
    if (build.code !== 0)
      throw new Error(`corepack pnpm build exited ${build.code}:\n${build.stdout}\n${build.stderr}`);
  });

  it('runs the loraflow bin: a good graph validates, a broken one exits 1 naming its issue', async () => {
    const good = await loraflow('validate', 'examples/compose-train-generate.json');
    expect(good).toMatchObject({ code: 0, stderr: '' });
    expect(good.stdout).toContain('examples/compose-train-generate.json: ok');

    const broken = await loraflow('validate', 'packages/cli/src/test/fixtures/broken/cycle.json');
    expect(broken.code).toBe(1);
    expect(`${broken.stdout}${broken.stderr}`).toMatch(/graph\.cycle at nodes\[0\]: The graph has a cycle/);
  });

  it('answers --help having loaded commander and nothing of the engine, the providers or the emulator', async () => {
    expect(await packagesLoaded('--help')).toEqual(['@loraflow/cli', 'commander']);
  });

  it('validates and lists runs without starting or even loading the emulator or an HTTP server', async () => {
    const validate = await packagesLoaded('validate', 'examples/compose-train-generate.json');
    expect(validate).toEqual(expect.arrayContaining(['@loraflow/core', '@loraflow/nodes']));
    expect(validate).not.toEqual(expect.arrayContaining(['@loraflow/emulator']));
    expect(validate).not.toEqual(expect.arrayContaining(['@hono/node-server']));
    // validation needs the node definitions only: no provider client, HTTP stack or PNG codec
    for (const heavy of ['@loraflow/providers', 'undici', 'fast-png']) expect(validate).not.toContain(heavy);
    const runs = await packagesLoaded('runs', '--store', join(tmpdir(), `loraflow-no-store-${process.pid}`));
    expect(runs).toEqual(expect.arrayContaining(['@loraflow/runtime']));
    for (const heavy of [
      '@loraflow/nodes',
      '@loraflow/providers',
      '@loraflow/emulator',
      'undici',
      'fast-png',
    ]) {
      expect(runs).not.toContain(heavy);
    }
  });

  it('lets a plain ESM script import @loraflow/core from its dist/ and validate and plan a graph', async () => {
    const run = await node(['--input-type=module', '--eval', hostScript], at('packages/nodes'));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const out = JSON.parse(run.stdout) as { core: string; valid: boolean; steps: number; issue: string };
    expect(out.core.endsWith('/packages/core/dist/index.js')).toBe(true);
    expect(out).toMatchObject({ valid: true, issue: 'document.format' });
    expect(out.steps).toBeGreaterThan(0);
  });

  it('ships the editor as dist/index.js, its typings declaring LoraflowEditor, and dist/style.css', async () => {
    const js = await readFile(at('packages/editor/dist/index.js'), 'utf8');
    expect(js).toMatch(/export \{[^}]*\bLoraflowEditor\b/);
    expect(await readFile(at('packages/editor/dist/index.d.ts'), 'utf8')).toMatch(
      /declare function LoraflowEditor\(props: LoraflowEditorProps\)/,
    );
    expect(await readFile(at('packages/editor/dist/style.css'), 'utf8')).toBe(
      await readFile(at('packages/editor/src/style.css'), 'utf8'),
    );
  });
});
