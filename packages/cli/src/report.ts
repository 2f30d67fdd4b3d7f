import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Estimate, type GraphDocument, type RunEvent, type RunResult, setOwn } from '@loraflow/core';
import { imagesValueSchema } from '@loraflow/nodes';
import { CLI_CODES, CliError } from './errors';

/**
 * One node in `report.json`.
 *
 * @example
 * const trainCached = report.nodes.train?.cached === true;
 */
export interface NodeReport {
  type: string;
  status: string;
  /** True when the output came from the cache (nothing was called). */
  cached: boolean;
  /** Wall time of this attempt's execution, in ms (absent for a cached or skipped node). */
  ms?: number;
  /** The dry-run cost estimated before the run, for a node that was going to run. */
  cost?: Estimate;
  error?: { code: string; message: string };
  because?: string;
  /** Image files written for this node, relative to the output folder. */
  images?: string[];
}

/**
 * What `run --out` writes as `report.json`: every node's outcome, whether it came from the cache, timings and costs.
 *
 * @example
 * const report = JSON.parse(await readFile('out/report.json', 'utf8')) as RunReport;
 * console.log(report.status, report.nodes.train?.cached);
 */
export interface RunReport {
  format: 'loraflow.report';
  version: 1;
  runId: string;
  graph?: string;
  status: RunResult['status'];
  startedAt: string;
  finishedAt: string;
  ms: number;
  provider: 'emulator' | 'configured';
  nodes: Record<string, NodeReport>;
  /** Estimated cost of the nodes that ran, summed per unit. */
  totals: Record<string, number>;
  images: string[];
}

/**
 * Builds the report of a finished run from its result, this attempt's events and the estimate taken before it.
 *
 * @example
 * const report = buildReport({ doc, result, events, costs, provider: 'emulator' });
 */
export function buildReport(o: {
  doc: GraphDocument;
  result: RunResult;
  events: readonly RunEvent[];
  costs: ReadonlyMap<string, Estimate>;
  provider: RunReport['provider'];
}): RunReport {
  const ms = new Map<string, number>();
  for (const e of o.events) if (e.type === 'node.succeeded') ms.set(e.nodeId, e.ms);
  const nodes: Record<string, NodeReport> = {};
  const totals: Record<string, number> = {};
  for (const [id, outcome] of Object.entries(o.result.nodes)) {
    const type = o.doc.nodes.find((n) => n.id === id)?.type ?? 'unknown';
    const node: NodeReport = { type, status: outcome.status, cached: outcome.status === 'cached' };
    const took = ms.get(id);
    if (took !== undefined && outcome.status === 'succeeded') node.ms = took;
    const cost = o.costs.get(id);
    if (cost && outcome.status !== 'cached') {
      node.cost = cost;
      if (outcome.status === 'succeeded') totals[cost.unit] = (totals[cost.unit] ?? 0) + cost.amount;
    }
    if (outcome.error) node.error = { code: outcome.error.code, message: outcome.error.message };
    if (outcome.because !== undefined) node.because = outcome.because;
    setOwn(nodes, id, node);
  }
  const report: RunReport = {
    format: 'loraflow.report',
    version: 1,
    runId: o.result.runId,
    status: o.result.status,
    startedAt: new Date(o.result.startedAt).toISOString(),
    finishedAt: new Date(o.result.finishedAt).toISOString(),
    ms: Math.max(0, o.result.finishedAt - o.result.startedAt),
    provider: o.provider,
    nodes,
    totals,
    images: [],
  };
  if (o.doc.name !== undefined) report.graph = o.doc.name;
  return report;
}

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/**
 * Writes every image a node produced as `<node>-<i>.<ext>` (from 1) and `report.json` into `outDir`, each file
 * atomically (temporary name, then rename), so an interrupted write never leaves half a PNG.
 *
 * @example
 * await writeOutputs('out', report, result, (hash) => runtime.getBlob(hash));
 */
export async function writeOutputs(
  outDir: string,
  report: RunReport,
  result: RunResult,
  getBlob: (hash: string) => Promise<Uint8Array | undefined>,
): Promise<void> {
  try {
    await mkdir(outDir, { recursive: true });
    for (const [id, outcome] of Object.entries(result.nodes)) {
      const parsed = imagesValueSchema.safeParse(outcome.outputs?.images);
      if (!parsed.success || parsed.data.length === 0) continue;
      const names: string[] = [];
      for (const [i, image] of parsed.data.entries()) {
        const bytes = await getBlob(image.blob.$blob);
        if (!bytes) continue;
        // Node ids may hold any character; a file name may not.
        const name = `${id.replace(/[^\w.-]/g, '_')}-${i + 1}.${EXTENSIONS[image.blob.mime] ?? 'bin'}`;
        await writeAtomic(join(outDir, name), bytes);
        names.push(name);
      }
      const node = report.nodes[id];
      if (node && names.length > 0) node.images = names;
      report.images.push(...names);
    }
    await writeAtomic(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  } catch (error) {
    throw new CliError(
      CLI_CODES.outUnwritable,
      ['--out'],
      `The outputs cannot be written to the output folder (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}); the run itself is in the store.`,
      1,
    );
  }
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, data);
  await rename(temp, file);
}
