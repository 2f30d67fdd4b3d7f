/**
 * One problem, wherever it is found (validation, loading, params, edits): a JSON path into the
 * input, a stable machine code, and a sentence a person understands.
 *
 * @example
 * const issue: Issue = { path: ['nodes', 2, 'type'], code: 'node.unknown-type', message: 'Node "b" has type "x", which no registered pack defines.' };
 */
export interface Issue {
  path: (string | number)[];
  code: string;
  message: string;
  nodeId?: string;
  edgeId?: string;
}

/**
 * Expected failures are values: either a value or every issue found.
 *
 * @example
 * const r: Result<number> = { ok: false, issues: [{ path: [], code: 'x', message: 'No.' }] };
 */
export type Result<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/**
 * The catalogue of stable issue and error codes the core produces; hosts may match on them.
 *
 * @example
 * if (issue.code === ISSUE_CODES.cycle) highlight(issue.nodeId);
 */
export const ISSUE_CODES = {
  invalidDocument: 'document.invalid',
  formatUnknown: 'document.format',
  versionUnsupported: 'document.version-unsupported',
  migrationFailed: 'document.migration-failed',
  tooDeep: 'document.too-deep',
  notFinite: 'document.not-finite',
  invalidNode: 'node.invalid',
  invalidEdge: 'edge.invalid',
  unknownType: 'node.unknown-type',
  duplicateNodeId: 'node.duplicate-id',
  duplicateEdgeId: 'edge.duplicate-id',
  danglingEdge: 'edge.dangling',
  unknownPort: 'edge.unknown-port',
  typeMismatch: 'type.mismatch',
  typeIncompatible: 'type.incompatible',
  typeUnknown: 'type.unknown',
  cycle: 'graph.cycle',
  missingInput: 'input.missing',
  tooManyConnections: 'input.too-many',
  invalidParams: 'params.invalid',
  invalidSettings: 'edge.settings-invalid',
  nodeRule: 'node.rule',
  unknownTarget: 'plan.unknown-target',
  unknownRefresh: 'run.unknown-refresh',
} as const;

/**
 * Converts a zod issue path (which may hold symbols) into an Issue path.
 *
 * @example
 * toIssuePath(['nodes', 0, Symbol.for('x')]); // ['nodes', 0, 'Symbol(x)']
 */
export function toIssuePath(path: readonly PropertyKey[]): (string | number)[] {
  return path.map((p) => (typeof p === 'number' ? p : String(p)));
}
