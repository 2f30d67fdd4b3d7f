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

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | number;
}

function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent) path.push(f.key);
  return path.reverse();
}

/** Whether `value` is an ancestor of `frame`: a cycle, which JSON cannot hold and the schemas never read through. */
function onPath(frame: Frame, value: object): boolean {
  for (let f = frame.parent; f; f = f.parent) if (f.value === value) return true;
  return false;
}

const describe = (path: (string | number)[]): string =>
  path.length ? `"${path.join('.')}"` : 'The document';

/**
 * The values of a document nested deeper than {@link MAX_DOCUMENT_DEPTH} (`document.too-deep`) and
 * its numbers that are NaN or ±Infinity (`document.not-finite`), each with its path. The walk is
 * iterative, so a document 10,000 levels deep is answered, not a stack overflow; a value reached
 * twice (an in-process object, not JSON) is walked again only from deeper, and a cycle is not
 * followed (an in-process document may hold one where the schemas strip it). Never throws.
 *
 * @example
 * documentLimitIssues({ format: 'loraflow.graph', version: 1, nodes: [], edges: [], meta: { x: NaN } });
 * // [{ path: ['meta', 'x'], code: 'document.not-finite', message: '"meta.x" is NaN; ...' }]
 */
export function documentLimitIssues(doc: unknown, maxDepth: number = MAX_DOCUMENT_DEPTH): Issue[] {
  const issues: Issue[] = [];
  const deepest = new Map<object, number>();
  const stack: Frame[] = [{ value: doc, depth: 0, parent: undefined, key: '' }];
  while (stack.length > 0 && issues.length < MAX_LIMIT_ISSUES) {
    const frame = stack.pop()!;
    const { value, depth } = frame;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        const path = pathOf(frame);
        issues.push({
          path,
          code: ISSUE_CODES.notFinite,
          message: `${describe(path)} is ${value}; a graph holds only finite numbers.`,
        });
      }
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxDepth) {
      const path = pathOf(frame);
      issues.push({
        path,
        code: ISSUE_CODES.tooDeep,
        message: `${describe(path)} is nested more than ${maxDepth} levels deep; flatten it.`,
      });
      continue;
    }
    const before = deepest.get(value);
    if (before !== undefined && (before >= depth || onPath(frame, value))) continue;
    deepest.set(value, depth);
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], depth: depth + 1, parent: frame, key: i });
      }
    } else {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, parent: frame, key });
      }
    }
  }
  return issues;
}
