import { dirname, resolve } from 'node:path';
import type { GraphDocument } from '@loraflow/core';
import { RuntimeError } from '@loraflow/runtime';
import { EXIT } from '../errors';
import { estimateFlagsSchema, parseFlags } from '../flags';
import { readGraphFile } from '../graph-file';
import type { CliIo } from '../io';
import { openRuntime } from '../setup';
import { reportIssues } from './issues';

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
  const cli = await openRuntime(io, { store: flags.store, filesRoot: dirname(file), outDir: io.cwd });
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
