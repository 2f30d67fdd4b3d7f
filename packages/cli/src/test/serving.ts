import { runCli } from '../cli';
import { testIo } from './collect';
import { eventually } from './eventually';

/**
 * Starts `loraflow serve <args>` in process and waits until it listens: its URL, the token it printed,
 * its output, and `stop()` that ends it and answers its exit code.
 */
export async function startServe(args: string[], cwd: string, env: Record<string, string> = {}) {
  let release = () => {};
  const io = {
    ...testIo({ cwd, env }),
    untilStopped: () =>
      new Promise<void>((resolve) => {
        release = resolve;
      }),
  };
  const served = runCli(['serve', '--port', '0', ...args], io);
  const url = await eventually(() => {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(io.stdout.text());
    if (!match) throw new Error('not listening yet');
    return match[1]!;
  });
  const token = /^loraflow: token (\S+)$/m.exec(io.stderr.text())?.[1];
  return {
    url,
    token,
    io,
    stop: () => {
      release();
      return served;
    },
  };
}
