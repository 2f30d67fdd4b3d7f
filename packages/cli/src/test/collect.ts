import type { CliIo, OutStream } from '../io';

/** A stream that keeps what was written, for in-process runs of the command. */
export function collector(isTTY = false): OutStream & { text(): string; lines(): string[] } {
  const chunks: string[] = [];
  return {
    isTTY,
    write(text: string) {
      chunks.push(text);
      return true;
    },
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.length > 0),
  };
}

/** An io for `runCli` in a test: collected stdout/stderr, a given environment and cwd. */
export function testIo(o: { cwd: string; env?: Record<string, string> }): CliIo & {
  stdout: ReturnType<typeof collector>;
  stderr: ReturnType<typeof collector>;
} {
  return { stdout: collector(), stderr: collector(), env: o.env ?? {}, cwd: o.cwd };
}
