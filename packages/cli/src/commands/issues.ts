import type { RuntimeError } from '@loraflow/runtime';
import { EXIT, formatProblem } from '../errors';
import type { CliIo } from '../io';

/**
 * Prints every issue of a refused graph, one per line (or as JSON), and answers exit code 1.
 *
 * @example
 * if (error instanceof RuntimeError && error.issues) return reportIssues(io, error, 'g.json', false);
 */
export function reportIssues(
  io: CliIo,
  error: RuntimeError,
  graph: string | undefined,
  json: boolean,
): number {
  const issues = error.issues ?? [];
  if (json) {
    io.stdout.write(`${JSON.stringify({ type: 'graph.invalid', file: graph, issues })}\n`);
  } else {
    io.stderr.write(
      `loraflow: ${graph ?? 'the graph'} has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n`,
    );
    for (const issue of issues) io.stderr.write(`  ${formatProblem(issue)}\n`);
  }
  return EXIT.failed;
}
