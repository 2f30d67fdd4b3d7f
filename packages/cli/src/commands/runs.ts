import { stat } from 'node:fs/promises';
import { createRegistry } from '@loraflow/core';
import { createRuntime } from '@loraflow/runtime';
import { createFileStore } from '@loraflow/runtime/node';
import { EXIT } from '../errors';
import { parseFlags, runsFlagsSchema } from '../flags';
import type { CliIo } from '../io';
import { storeDirOf } from '../store-dir';
import { storeWarnings } from '../store-warnings';

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
  // No node pack either: listing runs runs no node, so the pack and its provider clients stay unloaded.
  const runtime = createRuntime({
    registry: createRegistry(),
    store: createFileStore({ dir: storeDir, onProblem: storeWarnings(io, flags.json) }),
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
