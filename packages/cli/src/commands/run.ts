import { dirname, resolve } from 'node:path';
import { canonicalJson, type Estimate, type GraphDocument, type RunEvent } from '@loraflow/core';
import { type Runtime, RuntimeError, type RuntimeRunHandle } from '@loraflow/runtime';
import { CLI_CODES, CliError, EXIT } from '../errors';
import { parseFlags, runFlagsSchema } from '../flags';
import { readGraphFile } from '../graph-file';
import type { CliIo } from '../io';
import { createProgressView, type ProgressMode } from '../progress';
import { buildReport, writeOutputs } from '../report';
import { openRuntime } from '../setup';
import { reportIssues } from './issues';

/**
 * `loraflow run [graph]`: runs a graph (or resumes a run) with progress per node, then writes the images and
 * `report.json` to `--out`. Answers the exit code: 0 succeeded, 1 failed, 130 cancelled.
 *
 * @example
 * await runCommand(io, 'examples/train-from-images.json', { out: 'out' });
 */
export async function runCommand(io: CliIo, graph: string | undefined, rawFlags: unknown): Promise<number> {
  const flags = parseFlags(runFlagsSchema, rawFlags);
  if (graph === undefined && flags.resume === undefined) {
    throw new CliError(
      CLI_CODES.usage,
      ['graph'],
      'Name a graph file to run, or a run to resume with --resume.',
    );
  }
  if (flags.resume !== undefined && flags.target.length > 0) {
    throw new CliError(
      CLI_CODES.flagConflict,
      ['--target'],
      'A resumed run keeps its own targets; drop --target.',
    );
  }
  if (flags.resume !== undefined && (flags.refresh.length > 0 || !flags.cache)) {
    throw new CliError(
      CLI_CODES.flagConflict,
      [flags.cache ? '--refresh' : '--no-cache'],
      'A resumed run continues where it stopped; start a new run to refresh nodes.',
    );
  }
  const graphFile = graph !== undefined ? resolve(io.cwd, graph) : undefined;
  const doc = graphFile !== undefined ? await readGraphFile(graphFile, graph) : undefined;
  // the document is not validated yet (run does that, with every issue): its node ids are read defensively
  const nodes = (doc as { nodes?: unknown } | undefined)?.nodes;
  const ids = new Set(Array.isArray(nodes) ? nodes.map((n) => (n as { id?: unknown } | null)?.id) : []);
  const unknown = flags.refresh.find((id) => !ids.has(id));
  if (unknown !== undefined) {
    throw new CliError(
      CLI_CODES.flagInvalid,
      ['--refresh'],
      `The graph has no node "${unknown}" to refresh.`,
    );
  }
  const refresh = !flags.cache ? ('all' as const) : flags.refresh.length > 0 ? flags.refresh : undefined;
  const outDir = resolve(io.cwd, flags.out ?? '.');
  const cli = await openRuntime(io, {
    store: flags.store,
    filesRoot: graphFile ? dirname(graphFile) : io.cwd,
    outDir,
    maxPollMs: flags.maxPoll,
    json: flags.json,
  });
  try {
    const controller = new AbortController();
    const release = io.onInterrupt?.(() => {
      io.stderr.write(
        'loraflow: cancelling the run (the provider is asked to stop); press Ctrl-C again to quit now\n',
      );
      controller.abort(new Error('interrupted'));
    });
    try {
      let handle: RuntimeRunHandle;
      let runDoc: GraphDocument;
      let costs: Map<string, Estimate>;
      const targets = flags.target.length > 0 ? { targets: flags.target } : {};
      try {
        if (flags.resume !== undefined) {
          const record = await cli.runtime.getRun(flags.resume);
          if (!record) {
            throw new CliError(
              'run.not-found',
              ['--resume'],
              `There is no run "${flags.resume}" in the store ${cli.storeDir}.`,
              EXIT.failed,
            );
          }
          runDoc = record.doc;
          if (doc !== undefined && canonicalJson(doc) !== canonicalJson(record.doc)) {
            io.stderr.write(
              `loraflow: ${graph} differs from the graph this run started with; the run resumes its own graph (start a new run to apply the edits)\n`,
            );
          }
        } else {
          runDoc = doc as GraphDocument;
        }
        costs = await estimateCosts(cli.runtime, runDoc, flags.resume === undefined ? targets : {});
        handle =
          flags.resume !== undefined
            ? await cli.runtime.resume(flags.resume, { signal: controller.signal })
            : await cli.runtime.run(runDoc, {
                ...targets,
                ...(refresh ? { refresh } : {}),
                signal: controller.signal,
              });
      } catch (error) {
        if (error instanceof RuntimeError && error.issues) return reportIssues(io, error, graph, flags.json);
        const errno = (error as NodeJS.ErrnoException).syscall
          ? (error as NodeJS.ErrnoException).code
          : undefined;
        if (errno !== undefined) {
          throw new CliError(
            CLI_CODES.storeUnusable,
            ['--store'],
            `The store ${cli.storeDir} cannot be read or written (${errno}); point --store at a folder you can write.`,
            EXIT.failed,
          );
        }
        throw error;
      }
      io.stderr.write(
        `loraflow: run ${handle.runId} ${flags.resume ? 'resumed' : 'started'} — resume it after a crash with --resume ${handle.runId}\n`,
      );
      // A terminal of no size (a pty without a window) cannot hold redrawn lines: plain lines then.
      const sized = (io.stdout.columns ?? 0) > 0 && (io.stdout.rows ?? 0) > 0;
      const mode: ProgressMode = flags.json ? 'json' : io.stdout.isTTY && sized ? 'tty' : 'plain';
      const view = createProgressView(mode, io.stdout, runDoc.nodes);
      const events: RunEvent[] = [];
      const unsubscribe = handle.subscribe((event) => {
        events.push(event);
        view.onEvent(event);
      });
      const result = await handle.result;
      unsubscribe();
      view.close();
      const report = buildReport({
        doc: runDoc,
        result,
        events,
        costs,
        provider: cli.providers.emulator ? 'emulator' : 'configured',
      });
      if (flags.out !== undefined) await writeOutputs(outDir, report, result, (h) => cli.runtime.getBlob(h));
      if (flags.json) view.emit({ type: 'run.report', report });
      const images = report.images.length;
      io.stderr.write(
        `loraflow: run ${result.runId} ${result.status}${flags.out !== undefined ? ` — ${images} image${images === 1 ? '' : 's'} and report.json in ${flags.out}` : ''}\n`,
      );
      for (const [id, node] of Object.entries(report.nodes)) {
        if (node.error) io.stderr.write(`loraflow: ${id}: ${node.error.code}: ${node.error.message}\n`);
      }
      return result.status === 'succeeded'
        ? EXIT.ok
        : result.status === 'cancelled'
          ? EXIT.interrupted
          : EXIT.failed;
    } finally {
      release?.();
    }
  } finally {
    await cli.close();
  }
}

/** Dry-run costs of the nodes that will run; an estimate that fails leaves the report without costs, not the run. */
async function estimateCosts(
  runtime: Runtime,
  doc: GraphDocument,
  o: { targets?: string[] },
): Promise<Map<string, Estimate>> {
  const costs = new Map<string, Estimate>();
  try {
    const estimate = await runtime.estimate(doc, o);
    for (const node of estimate.nodes) if (node.cost) costs.set(node.nodeId, node.cost);
  } catch (error) {
    // An invalid graph is reported by run itself, with every issue.
    if (error instanceof RuntimeError && error.issues) throw error;
  }
  return costs;
}
