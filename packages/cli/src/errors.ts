/**
 * The stable codes the `loraflow` command answers with (beside the graph's own issue codes and the runtime's).
 *
 * @example
 * if (error instanceof CliError && error.code === CLI_CODES.fileNotFound) suggestPath();
 */
export const CLI_CODES = {
  usage: 'cli.usage',
  flagInvalid: 'flag.invalid',
  flagConflict: 'flag.conflict',
  envInvalid: 'env.invalid',
  fileNotFound: 'file.not-found',
  fileUnreadable: 'file.unreadable',
  fileNotJson: 'file.not-json',
  fileTooLarge: 'file.too-large',
  fileInvalid: 'file.invalid',
  fileUnprotected: 'file.unprotected',
  outUnwritable: 'out.unwritable',
  storeUnusable: 'store.unusable',
  portInUse: 'port.in-use',
  internal: 'cli.internal',
} as const;

/**
 * Process exit codes: 0 done, 1 the graph or the run failed, 2 the command line was wrong, 130 interrupted.
 *
 * @example
 * process.exitCode = result.status === 'succeeded' ? EXIT.ok : EXIT.failed;
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/**
 * An expected refusal of the command: where (a flag, a file, a JSON path), a stable code and a sentence. Printed as
 * `loraflow: <code> at <path>: <sentence>`, never as a stack trace.
 *
 * @example
 * throw new CliError(CLI_CODES.flagInvalid, ['--port'], 'The port must be an integer from 0 to 65535.');
 */
export class CliError extends Error {
  readonly code: string;
  readonly path: (string | number)[];
  readonly exitCode: number;
  constructor(code: string, path: (string | number)[], message: string, exitCode: number = EXIT.usage) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.path = path;
    this.exitCode = exitCode;
  }
}

/**
 * Formats a problem as one line a person reads: the code, the path when there is one, the sentence.
 *
 * @example
 * formatProblem({ code: 'input.missing', path: ['nodes', 2], message: 'Input "set" is not connected.' });
 * // 'input.missing at nodes[2]: Input "set" is not connected.'
 */
export function formatProblem(p: {
  code: string;
  path?: readonly (string | number)[];
  message: string;
}): string {
  const where = p.path && p.path.length > 0 ? ` at ${formatPath(p.path)}` : '';
  return `${p.code}${where}: ${p.message}`;
}

/**
 * A JSON path as people write it: `nodes[2].params.seed`; flags and file names stay as they are.
 *
 * @example
 * formatPath(['nodes', 2, 'params']); // 'nodes[2].params'
 */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (out === '') out = part;
    else out += `.${part}`;
  }
  return out;
}
