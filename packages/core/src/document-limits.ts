import { ISSUE_CODES, type Issue } from './issues';

/**
 * The deepest nesting a graph document may have, counted from the document itself (its `meta` is
 * level 1, a node's `params` level 3): deeper values are refused by validation with
 * `document.too-deep`, before anything recursive (hashing, schemas, storage) can overflow the stack.
 *
 * @example
 * MAX_DOCUMENT_DEPTH; // 64
 */
export const MAX_DOCUMENT_DEPTH = 64;

// Past this many, one more problem of the same kind teaches nothing and costs a long answer.
const MAX_LIMIT_ISSUES = 20;

const where = (path: (string | number)[]): string => (path.length ? `"${path.join('.')}"` : 'The document');

/**
 * The values of a document nested deeper than {@link MAX_DOCUMENT_DEPTH} (`document.too-deep`) and
 * its numbers that are NaN or ±Infinity (`document.not-finite`), each with its path. The walk stops
 * descending at the depth limit, so a document 10,000 levels deep costs 65 stack frames, never a
 * stack overflow; a cycle of in-process objects (which JSON cannot hold and the schemas strip) is not
 * followed. Never throws.
 *
 * @example
 * documentLimitIssues({ format: 'loraflow.graph', version: 1, nodes: [], edges: [], meta: { x: NaN } });
 * // [{ path: ['meta', 'x'], code: 'document.not-finite', message: '"meta.x" is NaN; ...' }]
 */
export function documentLimitIssues(doc: unknown, maxDepth: number = MAX_DOCUMENT_DEPTH): Issue[] {
  const issues: Issue[] = [];
  // The path to the value being looked at, and the objects above it (for cycles); both at most maxDepth long.
  const path: (string | number)[] = [];
  const above: object[] = [];
  // Recursion rather than an explicit stack: bounded by maxDepth, and ~8× faster on a 10k-node graph.
  const visit = (value: unknown, depth: number): void => {
    if (issues.length >= MAX_LIMIT_ISSUES) return;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        issues.push({
          path: path.slice(),
          code: ISSUE_CODES.notFinite,
          message: `${where(path)} is ${value}; a graph holds only finite numbers.`,
        });
      }
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (depth > maxDepth) {
      issues.push({
        path: path.slice(),
        code: ISSUE_CODES.tooDeep,
        message: `${where(path)} is nested more than ${maxDepth} levels deep; flatten it.`,
      });
      return;
    }
    if (above.includes(value)) return;
    above.push(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        visit(value[i], depth + 1);
        path.pop();
      }
    } else {
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        path.push(key);
        visit((value as Record<string, unknown>)[key], depth + 1);
        path.pop();
      }
    }
    above.pop();
  };
  visit(doc, 0);
  return issues;
}
