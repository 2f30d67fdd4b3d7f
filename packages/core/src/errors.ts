import type { Issue } from './issues';

/**
 * Thrown when a graph that does not validate is planned, explained or run: a programming error
 * (call `engine.validate` first). Carries every issue.
 *
 * @example
 * try { engine.run(doc); } catch (e) { if (e instanceof GraphError) showIssues(e.issues); }
 */
export class GraphError extends Error {
  readonly code = 'graph.invalid';
  readonly issues: Issue[];
  constructor(issues: Issue[], verb: string) {
    const first = issues[0];
    super(
      `Cannot ${verb} this graph: it has ${issues.length} problem${issues.length === 1 ? '' : 's'} (first: ${first ? first.message : 'unknown'}); call engine.validate(doc) to list them.`,
    );
    this.name = 'GraphError';
    this.issues = issues;
  }
}

/**
 * An error a node throws with a stable code; the engine reports `{ code, message }`.
 *
 * @example
 * throw new NodeRunError('provider.quota', 'The provider refused: monthly quota reached.');
 */
export class NodeRunError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'NodeRunError';
    this.code = code;
  }
}
