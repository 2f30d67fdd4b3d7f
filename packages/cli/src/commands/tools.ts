import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createRegistry, type GraphDocument, graphDocumentJsonSchema } from '@loraflow/core';
import { startEmulator } from '@loraflow/emulator/node';
import { loraPack } from '@loraflow/nodes';
import { buildCatalogue, createRuntime, createRuntimeHandler, RuntimeError } from '@loraflow/runtime';
import { createFileStore } from '@loraflow/runtime/node';
import { CLI_CODES, CliError, EXIT, formatProblem } from '../errors';
import {
  emulatorFlagsSchema,
  estimateFlagsSchema,
  parseFlags,
  runsFlagsSchema,
  schemaFlagsSchema,
  serveFlagsSchema,
  validateFlagsSchema,
} from '../flags';
import { readGraphFile } from '../graph-file';
import type { CliIo } from '../io';
import { openRuntime, storeDirOf } from '../setup';
import { reportIssues } from './run';

/**
 * `loraflow validate <graph...>`: every problem of every file, one per line (or NDJSON with `--json`); exit 1 when
 * any file has one.
 *
 * @example
 * await validateCommand(io, ['examples/train-from-images.json'], {});
 */
export async function validateCommand(io: CliIo, graphs: string[], rawFlags: unknown): Promise<number> {
  const flags = parseFlags(validateFlagsSchema, rawFlags);
  const runtime = createRuntime({ registry: createRegistry(loraPack) });
  let failed = false;
  for (const graph of graphs) {
    let issues: Array<{ code: string; path: (string | number)[]; message: string; nodeId?: string }>;
    try {
      const checked = await runtime.validate(await readGraphFile(resolve(io.cwd, graph), graph));
      issues = checked.issues;
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      // The file is named on the line above each file's problems (and as `file` in JSON).
      issues = [{ code: error.code, path: [], message: error.message }];
    }
    failed ||= issues.length > 0;
    if (flags.json) {
      io.stdout.write(`${JSON.stringify({ file: graph, ok: issues.length === 0, issues })}\n`);
    } else if (issues.length === 0) {
      io.stdout.write(`${graph}: ok\n`);
    } else {
      io.stdout.write(`${graph}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n`);
      for (const issue of issues) io.stdout.write(`  ${formatProblem(issue)}\n`);
    }
  }
  return failed ? EXIT.failed : EXIT.ok;
}

/**
 * `loraflow estimate <graph>`: which nodes will run and which come from the cache, and the provider cost from dry
 * runs, per node and in total.
 *
 * @example
 * await estimateCommand(io, 'examples/compose-train-generate.json', { json: true });
 */
export async function estimateCommand(io: CliIo, graph: string, rawFlags: unknown): Promise<number> {
  const flags = parseFlags(estimateFlagsSchema, rawFlags);
  const file = resolve(io.cwd, graph);
  const doc = await readGraphFile(file, graph);
  const cli = await openRuntime(io, { store: flags.store, baseDir: dirname(file), outDir: io.cwd });
  try {
    let estimate: Awaited<ReturnType<typeof cli.runtime.estimate>>;
    try {
      estimate = await cli.runtime.estimate(
        doc as GraphDocument,
        flags.target.length > 0 ? { targets: flags.target } : {},
      );
    } catch (error) {
      if (error instanceof RuntimeError && error.issues) return reportIssues(io, error, graph, flags.json);
      throw error;
    }
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(estimate)}\n`);
      return EXIT.ok;
    }
    const width = Math.max(4, ...estimate.nodes.map((n) => n.nodeId.length));
    for (const node of estimate.nodes) {
      const cost = node.cost
        ? `${node.cost.amount} ${node.cost.unit}`
        : node.costError
          ? `cost unknown (${node.costError.code})`
          : node.costUnknown
            ? 'cost unknown before it runs'
            : '';
      io.stdout.write(
        `${node.nodeId.padEnd(width)}  ${node.type.padEnd(18)}  ${node.willRun ? 'will run ' : 'cached   '}  ${cost}\n`,
      );
    }
    const totals = Object.entries(estimate.totals).map(([unit, n]) => `${Math.round(n * 100) / 100} ${unit}`);
    // "none" only when nothing has a cost; with unknown costs the total is a lower bound and says so
    const unknown = estimate.unknownCosts ?? 0;
    const cost =
      totals.length === 0
        ? unknown > 0
          ? `unknown for ${unknown} node${unknown === 1 ? '' : 's'}`
          : 'none'
        : `${unknown > 0 ? 'at least ' : ''}${totals.join(', ')}${unknown > 0 ? ` (+ ${unknown} unknown)` : ''}`;
    io.stdout.write(`${estimate.willRun} will run, ${estimate.fromCache} from cache; cost ${cost}\n`);
    return EXIT.ok;
  } finally {
    await cli.close();
  }
}

/**
 * `loraflow runs`: the run history of a store, newest first — each run's status and what its nodes
 * did; a run whose process died (a crash, a reboot) shows as interrupted, with the command that resumes it.
 *
 * @example
 * await runsCommand(io, { limit: 5 });
 */
export async function runsCommand(io: CliIo, rawFlags: unknown): Promise<number> {
  const flags = parseFlags(runsFlagsSchema, rawFlags);
  // Reading the history needs the store only: no provider client, no emulator started.
  const { storeDir } = storeDirOf(io, flags.store);
  if (!(await isDirectory(storeDir))) {
    if (!flags.json) io.stdout.write(`no runs in this store yet (${storeDir})\n`);
    return EXIT.ok;
  }
  const runtime = createRuntime({
    registry: createRegistry(loraPack),
    store: createFileStore({ dir: storeDir }),
  });
  const runs = await runtime.listRuns({ limit: flags.limit });
  if (flags.json) {
    for (const run of runs) {
      const { doc: _doc, ...rest } = run;
      io.stdout.write(`${JSON.stringify(rest)}\n`);
    }
    return EXIT.ok;
  }
  if (runs.length === 0) {
    io.stdout.write('no runs in this store yet\n');
    return EXIT.ok;
  }
  const width = Math.max(...runs.map((r) => r.runId.length));
  for (const run of runs) {
    const counts = new Map<string, number>();
    for (const node of Object.values(run.nodes)) counts.set(node.status, (counts.get(node.status) ?? 0) + 1);
    const summary = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
    const status = run.interrupted ? 'interrupted' : run.status;
    const started = new Date(run.startedAt).toISOString().replace('T', ' ').slice(0, 16);
    const name = run.doc.name ? `${run.doc.name} · ` : '';
    const hint = run.interrupted ? ` — resume: loraflow run --resume ${run.runId}` : '';
    io.stdout.write(
      `${run.runId.padEnd(width)}  ${status.padEnd(11)}  ${started}  ${name}${summary}${hint}\n`,
    );
  }
  return EXIT.ok;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `loraflow schema`: the JSON Schema of the graph format and of every node's params (and ports), to stdout or a file.
 *
 * @example
 * await schemaCommand(io, { out: 'graph.schema.json' });
 */
export async function schemaCommand(io: CliIo, rawFlags: unknown): Promise<number> {
  const flags = parseFlags(schemaFlagsSchema, rawFlags);
  const catalogue = buildCatalogue(createRegistry(loraPack));
  const nodes: Record<string, unknown> = {};
  for (const node of catalogue.nodes) {
    nodes[node.type] = {
      title: node.title,
      description: node.description,
      params: node.params,
      inputs: node.inputs,
      outputs: node.outputs,
    };
  }
  const text = `${JSON.stringify({ graph: graphDocumentJsonSchema(), nodes, types: catalogue.types }, null, 2)}\n`;
  if (flags.out === undefined) {
    io.stdout.write(text);
    return EXIT.ok;
  }
  const file = resolve(io.cwd, flags.out);
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  } catch (error) {
    throw new CliError(
      CLI_CODES.outUnwritable,
      ['--out'],
      `The schema cannot be written there (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}).`,
      EXIT.failed,
    );
  }
  io.stderr.write(`loraflow: schema written to ${flags.out}\n`);
  return EXIT.ok;
}

async function listen(
  io: CliIo,
  what: string,
  start: () => Promise<{ url: string; close: () => Promise<void> }>,
): Promise<number> {
  let running: { url: string; close: () => Promise<void> };
  try {
    running = await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new CliError(
        CLI_CODES.portInUse,
        ['--port'],
        `The ${what} cannot listen on that port (${code}).`,
        EXIT.failed,
      );
    }
    throw error;
  }
  io.stdout.write(`${what} listening on ${running.url}\n`);
  await (io.untilStopped?.() ?? new Promise<void>(() => {}));
  await running.close();
  return EXIT.ok;
}

/**
 * `loraflow serve`: the runtime's HTTP API (runs, events as SSE, catalogue) on `--port`, 127.0.0.1 by default, with
 * the keys of the environment (or the built-in emulator).
 *
 * @example
 * await serveCommand(io, { port: 8787 });
 */
export async function serveCommand(io: CliIo, rawFlags: unknown): Promise<number> {
  const flags = parseFlags(serveFlagsSchema, rawFlags);
  if (flags.host !== '127.0.0.1' && flags.host !== 'localhost' && flags.host !== '::1') {
    io.stderr.write(
      `loraflow: serving on ${flags.host}: the runtime API has no authentication of its own; anyone who reaches it spends your provider credits\n`,
    );
  }
  const cli = await openRuntime(io, { store: flags.store, baseDir: io.cwd, outDir: io.cwd });
  try {
    const handler = createRuntimeHandler(cli.runtime);
    return await listen(io, 'loraflow runtime', async () => {
      const server = serve({ fetch: handler, port: flags.port, hostname: flags.host });
      await new Promise<void>((ok, fail) => {
        server.once('listening', ok);
        server.once('error', fail);
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : flags.port;
      return {
        url: `http://${flags.host}:${port}`,
        close: () =>
          new Promise<void>((ok) => {
            server.close(() => ok());
            (server as import('node:http').Server).closeAllConnections?.();
          }),
      };
    });
  } finally {
    await cli.close();
  }
}

/**
 * `loraflow emulator`: the local provider emulator on `--port` (127.0.0.1), its clock `--speed` times real time.
 *
 * @example
 * await emulatorCommand(io, { port: 8790, speed: 60 });
 */
export async function emulatorCommand(io: CliIo, rawFlags: unknown): Promise<number> {
  const flags = parseFlags(emulatorFlagsSchema, rawFlags);
  return listen(io, 'loraflow emulator', async () => {
    const server = await startEmulator({
      port: flags.port,
      clock: flags.speed === 1 ? 'real' : { speed: flags.speed },
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    });
    io.stderr.write(
      `Scenario: ${server.url}/scenario/v1 · ModelsLab: ${server.url}/modelslab/api · control: ${server.url}/_emulator\n`,
    );
    return server;
  });
}
