import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { packageNames, root, typeScriptFiles } from './repo-files';

// Decision 0020: a test waits for a condition, never for a number of seconds. The one wall-clock bound is the
// hang guard in vitest.shared.ts (HANG_GUARD_MS, and POLL_GUARD_MS for expect.poll). This check keeps the
// speed checks in disguise from coming back: a limit on a test or hook, `vi.waitFor` (its 1 s default cannot be
// raised in one place), a `timeout` on a poll or a browser wait, and a fixed sleep in a browser page.

const HOOKS = new Set(['it', 'test', 'describe', 'beforeAll', 'afterAll', 'beforeEach', 'afterEach']);
const WAITS = /^(poll|waitFor\w*)$/;

/** The name a call is made by: `it` for `it(...)`, `it.each(...)(...)` and `it.concurrent(...)`, `poll` for `expect.poll(...)`. */
function calleeName(call: ts.CallExpression): string | undefined {
  let e: ts.Expression = call.expression;
  for (;;) {
    if (ts.isCallExpression(e)) e = e.expression;
    else if (ts.isPropertyAccessExpression(e) && HOOKS.has(e.expression.getText())) e = e.expression;
    else break;
  }
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

function hasTimeout(arg: ts.Expression): boolean {
  return (
    ts.isObjectLiteralExpression(arg) &&
    arg.properties.some(
      (p) =>
        ts.isPropertyAssignment(p) &&
        p.name.getText() === 'timeout' &&
        !(ts.isNumericLiteral(p.initializer) && Number(p.initializer.text) === 0),
    )
  );
}

/** Every fixed wall-clock limit in a test source, as `line: what`. */
function wallClockLimits(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) =>
    found.push(`${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}: ${what}`);
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const name = calleeName(node);
      const text = node.expression.getText(sf);
      if (text === 'vi.waitFor') at(node, 'vi.waitFor (use expect.poll)');
      else if (name === 'waitForTimeout') at(node, 'a fixed sleep (wait for what it stands for)');
      else if (name && HOOKS.has(name)) {
        const fn = node.arguments.findIndex((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a));
        const after = fn >= 0 ? node.arguments.slice(fn + 1) : [];
        if (after.some((a) => ts.isNumericLiteral(a) || hasTimeout(a))) at(node, `a time limit on ${name}`);
      } else if (name && WAITS.test(name) && node.arguments.some(hasTimeout))
        at(node, `a timeout on ${name}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Test code: test files, helpers under src/test/, browser tests, stories' tests, and this folder's tests. */
function testFiles(): string[] {
  const isTest = (f: string) => /\.test\.tsx?$/.test(f);
  return [
    ...packageNames().flatMap((p) => [
      ...typeScriptFiles(join(root, 'packages', p, 'src'), (f) => isTest(f) || /^test\//.test(f)),
      ...typeScriptFiles(join(root, 'packages', p, 'e2e')),
    ]),
    ...typeScriptFiles(join(root, 'stories', 'test')),
    // scripts/fixtures/ holds deliberately failing projects (a hook that times out), run only by their own test
    ...typeScriptFiles(join(root, 'scripts'), (f) => isTest(f) && !f.startsWith('fixtures/')),
  ];
}

/** Every vitest config but the shared one, which holds the guard. */
function projectConfigs(): string[] {
  return [
    ...packageNames().map((p) => join(root, 'packages', p, 'vitest.config.ts')),
    join(root, 'stories', 'vitest.config.ts'),
    join(root, 'scripts', 'vitest.config.ts'),
  ].filter((f) => existsSync(f));
}

describe('no fixed wall-clock limit in tests', () => {
  it('finds each kind of limit, and passes waits that end on their condition', () => {
    const text = [
      `it('a', async () => {}, 60_000);`,
      `it.each([1])('b %s', async () => {}, { timeout: 5000 });`,
      `beforeAll(async () => {}, 120_000);`,
      `await vi.waitFor(() => expect(x).toBe(1));`,
      `await expect.poll(() => x, { timeout: 10_000 }).toBe(1);`,
      `await page.waitForFunction(() => true, undefined, { timeout: 60_000 });`,
      `await page.waitForTimeout(300);`,
      `it('fine', async () => { await expect.poll(() => x, { interval: 2 }).toBe(1); });`,
      `await page.waitForFunction(() => true, undefined, { polling: 50, timeout: 0 });`,
      `const client = scenario(url, { timeoutMs: 5000 });`,
    ].join('\n');
    expect(wallClockLimits('x.test.ts', text)).toEqual([
      '1: a time limit on it',
      '2: a time limit on it',
      '3: a time limit on beforeAll',
      '4: vi.waitFor (use expect.poll)',
      '5: a timeout on poll',
      '6: a timeout on waitForFunction',
      '7: a fixed sleep (wait for what it stands for)',
    ]);
  });

  it('holds in every test, test helper and browser test of the repository', () => {
    const files = testFiles();
    expect(files.length).toBeGreaterThan(50);
    const offending = files.flatMap((file) =>
      wallClockLimits(file, readFileSync(file, 'utf8')).map((f) => `${relative(root, file)}:${f}`),
    );
    expect(offending).toEqual([]);
  });

  it('leaves testTimeout and hookTimeout to the shared hang guard in every project config', () => {
    const offending = projectConfigs().filter((f) => /testTimeout|hookTimeout/.test(readFileSync(f, 'utf8')));
    expect(offending.map((f) => relative(root, f))).toEqual([]);
  });
});
