import { resolve } from 'node:path';
import { createRegistry } from '@loraflow/core';
import { loraPackDefinitions } from '@loraflow/nodes/definitions';
import { createRuntime } from '@loraflow/runtime';
import { CliError, EXIT, formatProblem } from '../errors';
import { parseFlags, validateFlagsSchema } from '../flags';
import { readGraphFile } from '../graph-file';
import type { CliIo } from '../io';

/**
 * `loraflow validate <graph...>`: every problem of every file, one per line (or NDJSON with `--json`); exit 1 when
 * any file has one.
 *
 * @example
 * await validateCommand(io, ['examples/train-from-images.json'], {});
 */
export async function validateCommand(io: CliIo, graphs: string[], rawFlags: unknown): Promise<number> {
  const flags = parseFlags(validateFlagsSchema, rawFlags);
  const runtime = createRuntime({ registry: createRegistry(loraPackDefinitions) });
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
