import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { packageNames, root, shippedSources } from './repo-files';

// The house rule: no function in packages/*/src (tests aside) longer than ~150 lines without a comment
// saying why. The comment goes in the comment block right above the line the function starts on and
// contains "long because" (e.g. `// long because: one switch over every event type, read top to bottom`).

const MAX_LINES = 150;
const REASON = /long because/i;

/** One function longer than the rule allows, with no reason above it. */
interface LongFunction {
  line: number;
  name: string;
  lines: number;
}

function nameOf(node: ts.Node, sf: ts.SourceFile): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isAccessor(node)) && node.name)
    return node.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (
    parent &&
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
  )
    return parent.name.getText(sf);
  return '(anonymous)';
}

/** Whether the comment block right above `line` (0-based) gives a reason. */
function hasReason(lines: readonly string[], line: number): boolean {
  for (let i = line - 1; i >= 0; i--) {
    const text = (lines[i] ?? '').trim();
    if (!/^(\/\/|\/\*|\*)/.test(text)) return false;
    if (REASON.test(text)) return true;
  }
  return false;
}

/** The functions, methods and arrows of a source text longer than {@link MAX_LINES} with no reason above. */
function longFunctions(fileName: string, text: string): LongFunction[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const lines = text.split('\n');
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const length = end - start + 1;
      if (length > MAX_LINES && !hasReason(lines, start))
        found.push({ line: start + 1, name: nameOf(node, sf), lines: length });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('function length', () => {
  const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');

  it('finds a function, a method and an arrow longer than 150 lines, and passes one of 150', () => {
    const text = [
      `export function ok() {\n${body(148)}\n}`,
      `export function tooLong() {\n${body(149)}\n}`,
      `class C {\n  method() {\n${body(149)}\n  }\n}`,
      `const arrow = () => {\n${body(149)}\n};`,
    ].join('\n');
    expect(longFunctions('x.ts', text).map((f) => [f.name, f.lines])).toEqual([
      ['tooLong', 151],
      ['method', 151],
      ['arrow', 151],
    ]);
  });

  it('accepts a long function when the comment block right above it says why', () => {
    const text = [
      `// long because: one switch over every event, read top to bottom\nexport function a() {\n${body(149)}\n}`,
      `/**\n * Does b.\n * Long because each step needs the last one's locals.\n */\nexport function b() {\n${body(149)}\n}`,
      `// a comment that gives no reason\nexport function c() {\n${body(149)}\n}`,
    ].join('\n');
    expect(longFunctions('x.ts', text).map((f) => f.name)).toEqual(['c']);
  });

  it('holds in every package: no function over 150 lines without a reason', () => {
    const files = packageNames().flatMap(shippedSources);
    expect(files.length).toBeGreaterThan(50);
    const offending = files.flatMap((file) =>
      longFunctions(file, readFileSync(file, 'utf8')).map(
        (f) => `${relative(root, file)}:${f.line} ${f.name} (${f.lines} lines)`,
      ),
    );
    expect(offending).toEqual([]);
  });
});
