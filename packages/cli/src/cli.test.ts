import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loraPack } from '@loraflow/nodes';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli';
import { readProviderEnv } from './env';
import { CLI_CODES, CliError, formatPath } from './errors';
import {
  emulatorFlagsSchema,
  parseFlags,
  runFlagsSchema,
  serveFlagsSchema,
  workerFlagsSchema,
} from './flags';
import { parseGraphText } from './graph-file';
import { testIo } from './test/collect';

const repo = new URL('../../../', import.meta.url).pathname;
const examples = join(repo, 'examples');
const broken = new URL('./test/fixtures/broken/', import.meta.url).pathname;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'loraflow-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Each broken graph and the codes validation must answer with (every one, and nothing else). */
const EXPECTED: Record<string, string[]> = {
  'not-json.json': ['file.not-json'],
  'not-an-object.json': ['document.invalid'],
  'wrong-format.json': ['document.format'],
  'future-version.json': ['document.version-unsupported'],
  'unknown-node-type.json': ['node.unknown-type'],
  'duplicate-ids.json': ['node.duplicate-id'],
  'cycle.json': ['graph.cycle'],
  'missing-input.json': ['input.missing'],
  'dangling-edge.json': ['edge.dangling'],
  'unknown-port.json': ['edge.unknown-port', 'generate.no-prompt'],
  'params-out-of-range.json': ['params.invalid'],
  'scale-out-of-range.json': ['edge.settings-invalid'],
  'mixed-families.json': ['lora.mixed-families', 'type.incompatible'],
  'modelslab-into-compose.json': ['type.incompatible'],
  'unknown-training-type.json': ['params.invalid'],
};

describe('loraflow validate', () => {
  it('accepts every example graph', async () => {
    const files = (await readdir(examples)).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    const io = testIo({ cwd: examples });
    expect(await runCli(['validate', ...files], io)).toBe(0);
    expect(io.stdout.lines()).toEqual(files.map((f) => `${f}: ok`));
  });

  it('answers each broken graph with its expected error codes and exit 1', async () => {
    const files = (await readdir(broken)).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(Object.keys(EXPECTED).sort());
    for (const file of files) {
      const io = testIo({ cwd: broken });
      expect(await runCli(['validate', '--json', file], io), file).toBe(1);
      const answer = JSON.parse(io.stdout.text()) as {
        ok: boolean;
        issues: Array<{ code: string; path: unknown[]; message: string }>;
      };
      expect(answer.ok, file).toBe(false);
      expect([...new Set(answer.issues.map((i) => i.code))].sort(), file).toEqual(EXPECTED[file]);
      for (const issue of answer.issues) {
        expect(Array.isArray(issue.path), file).toBe(true);
        expect(issue.message, file).toMatch(/^[A-Z].+\.$/s);
      }
    }
  });

  it('prints every problem with its path and code when not asked for JSON', async () => {
    const io = testIo({ cwd: broken });
    expect(await runCli(['validate', 'params-out-of-range.json'], io)).toBe(1);
    expect(io.stdout.lines()).toEqual([
      'params-out-of-range.json: 2 problems',
      expect.stringMatching(/^ {2}params\.invalid at nodes\[1\]\.params\.width: /),
      expect.stringMatching(/^ {2}params\.invalid at nodes\[1\]\.params\.samples: /),
    ]);
  });

  it('says where a JSON syntax error is', async () => {
    const io = testIo({ cwd: broken });
    await runCli(['validate', 'not-json.json'], io);
    expect(io.stdout.text()).toContain('file.not-json: The graph file is not valid JSON at line 5, column 1');
  });
});

describe('command line refusals', () => {
  const refusal = async (args: string[], env: Record<string, string> = {}) => {
    const io = testIo({ cwd: tmp, env });
    const code = await runCli(args, io);
    expect(io.stdout.text()).toBe('');
    expect(io.stderr.text()).not.toMatch(/\n\s+at /);
    return { code, err: io.stderr.text().trim() };
  };

  it('refuses a missing graph file with its name, a code and exit 2', async () => {
    expect(await refusal(['run', 'nowhere.json'])).toEqual({
      code: 2,
      err: 'loraflow: file.not-found at nowhere.json: There is no such graph file.',
    });
  });

  it('refuses an invalid flag value with the flag name', async () => {
    await writeFile(join(tmp, 'g.json'), '{}');
    const { code, err } = await refusal(['run', 'g.json', '--max-poll', 'soon']);
    expect(code).toBe(2);
    expect(err).toMatch(/^loraflow: flag\.invalid at --max-poll: /);
    const port = await refusal(['emulator', '--port', '70000']);
    expect(port).toEqual({ code: 2, err: 'loraflow: flag.invalid at --port: A port is at most 65535.' });
  });

  it('refuses an unknown flag or command as a usage error', async () => {
    const flag = await refusal(['validate', 'x.json', '--frobnicate']);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/^loraflow: cli\.usage: Unknown option '--frobnicate'/);
    const command = await refusal(['trian']);
    expect(command.code).toBe(2);
    expect(command.err).toMatch(/^loraflow: cli\.usage: /);
  });

  it('refuses run without a graph or a run to resume, and --target with --resume', async () => {
    expect((await refusal(['run'])).err).toBe(
      'loraflow: cli.usage at graph: Name a graph file to run, or a run to resume with --resume.',
    );
    expect((await refusal(['run', '--resume', 'run_1', '--target', 'a'])).err).toMatch(
      /^loraflow: flag\.conflict at --target/,
    );
  });

  it('refuses half a Scenario key pair naming the missing variable, never the value', async () => {
    await writeFile(join(tmp, 'ok.json'), await readFile(join(examples, 'train-from-images.json')));
    const { code, err } = await refusal(['run', 'ok.json'], { SCENARIO_API_KEY: 'api_half_of_a_pair' });
    expect(code).toBe(2);
    expect(err).toBe(
      'loraflow: env.invalid at SCENARIO_API_SECRET: SCENARIO_API_KEY and SCENARIO_API_SECRET go together: set both, or neither.',
    );
  });

  it('answers refusals as JSON on stderr with --json', async () => {
    const io = testIo({ cwd: tmp });
    expect(await runCli(['run', '--json', 'nowhere.json'], io)).toBe(2);
    expect(JSON.parse(io.stderr.text())).toEqual({
      error: { code: 'file.not-found', path: ['nowhere.json'], message: 'There is no such graph file.' },
    });
  });
});

describe('loraflow schema', () => {
  it('prints the graph JSON Schema and the params schema of every node of the pack', async () => {
    const io = testIo({ cwd: tmp });
    expect(await runCli(['schema'], io)).toBe(0);
    const schema = JSON.parse(io.stdout.text()) as {
      graph: { $schema?: string; properties: Record<string, unknown> };
      nodes: Record<string, { params: { type?: string; properties?: Record<string, unknown> } }>;
    };
    expect(schema.graph.properties).toHaveProperty('nodes');
    expect(Object.keys(schema.nodes).sort()).toEqual(loraPack.nodes.map((n) => n.type).sort());
    expect(schema.nodes['generate.multiLora']?.params.properties).toHaveProperty('seed');
  });

  it('writes to --out instead when asked', async () => {
    const io = testIo({ cwd: tmp });
    expect(await runCli(['schema', '--out', 'schema/loraflow.json'], io)).toBe(0);
    const written = JSON.parse(await readFile(join(tmp, 'schema/loraflow.json'), 'utf8')) as object;
    expect(written).toHaveProperty('nodes');
    expect(io.stdout.text()).toBe('');
  });
});

describe('input parsing properties', () => {
  it('parses any JSON text exactly as JSON.parse, and refuses anything else with file.not-json', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        let expected: unknown;
        let valid = true;
        try {
          expected = JSON.parse(text);
        } catch {
          valid = false;
        }
        if (valid) {
          expect(parseGraphText(text, 'g.json')).toEqual(expected);
          return;
        }
        try {
          parseGraphText(text, 'g.json');
          expect.unreachable('invalid JSON was accepted');
        } catch (error) {
          expect(error).toBeInstanceOf(CliError);
          expect((error as CliError).code).toBe(CLI_CODES.fileNotJson);
        }
      }),
    );
  });

  it('reads any environment without throwing anything but env.invalid, and never echoes a value', () => {
    const value = fc.option(fc.string({ minLength: 1 }), { nil: undefined });
    fc.assert(
      fc.property(
        fc.record({
          SCENARIO_API_KEY: value,
          SCENARIO_API_SECRET: value,
          SCENARIO_BASE_URL: value,
          MODELSLAB_BASE_URL: value,
        }),
        (env) => {
          try {
            readProviderEnv(env);
          } catch (error) {
            expect(error).toBeInstanceOf(CliError);
            expect((error as CliError).code).toBe(CLI_CODES.envInvalid);
            for (const v of Object.values(env))
              if (v && v.trim().length > 3) expect((error as Error).message).not.toContain(v.trim());
          }
        },
      ),
    );
  });

  it('accepts or refuses any flag values with flag.invalid naming a known flag, never anything else', () => {
    const text = fc.oneof(fc.string(), fc.integer().map(String), fc.double().map(String));
    fc.assert(
      fc.property(
        fc.record({ port: text, speed: text, seed: fc.option(text, { nil: undefined }) }),
        fc.record({
          maxPoll: fc.option(text, { nil: undefined }),
          resume: fc.option(text, { nil: undefined }),
        }),
        fc.record({
          database: fc.oneof(text, fc.constant('postgres://h/db')),
          concurrency: fc.option(text, { nil: undefined }),
          lease: fc.option(text, { nil: undefined }),
        }),
        fc.record({
          database: fc.option(fc.oneof(text, fc.constant('postgres://h/db')), { nil: undefined }),
          workers: fc.option(text, { nil: undefined }),
        }),
        (emulator, run, worker, serve) => {
          for (const [schema, raw, flags] of [
            [emulatorFlagsSchema, emulator, ['--port', '--speed', '--seed']],
            [runFlagsSchema, run, ['--max-poll', '--resume']],
            [workerFlagsSchema, worker, ['--database', '--concurrency', '--lease']],
            [serveFlagsSchema, serve, ['--database', '--workers']],
          ] as const) {
            try {
              parseFlags(schema, raw);
            } catch (error) {
              expect(error).toBeInstanceOf(CliError);
              expect((error as CliError).code).toBe(CLI_CODES.flagInvalid);
              expect(flags).toContain((error as CliError).path[0]);
            }
          }
        },
      ),
    );
  });

  it('formats paths the way people write them', () => {
    expect(formatPath(['nodes', 2, 'params', 'seed'])).toBe('nodes[2].params.seed');
    expect(formatPath(['--port'])).toBe('--port');
  });
});
