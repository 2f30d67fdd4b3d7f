import type { StoreProblem } from '@loraflow/runtime';
import type { CliIo } from './io';

/**
 * The store's `onProblem` for a command: each torn or corrupt file the store met (and read as absent) is one warning
 * line on stderr, `loraflow: warning <code> <sentence>` (a JSON line with `--json`), once per file and code.
 *
 * @example
 * createFileStore({ dir, onProblem: storeWarnings(io, false) });
 * // loraflow: warning store.corrupt_record The file is not whole JSON (a torn write?); it is ignored. (cache/ab/ab12….json)
 */
export function storeWarnings(io: CliIo, json: boolean): (problem: StoreProblem) => void {
  const told = new Set<string>();
  return (problem) => {
    const id = `${problem.code} ${problem.where}`;
    if (told.has(id)) return;
    told.add(id);
    io.stderr.write(
      json
        ? `${JSON.stringify({ warning: problem })}\n`
        : `loraflow: warning ${problem.code} ${problem.message} (${problem.where})\n`,
    );
  };
}
