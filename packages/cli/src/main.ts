import { runCli } from './cli';

// The process wiring of the command: signals, streams, exit code; everything else lives in runCli.
let interrupts = 0;
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  onInterrupt(cancel) {
    const onSignal = () => {
      interrupts += 1;
      // A second interrupt means "now": the run record says running; --resume picks it up.
      if (interrupts > 1) process.exit(130);
      cancel();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  },
  untilStopped: () =>
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }),
  exit: (code) => process.exit(code),
});
// No process.exit: a cancel request to the provider may still be in flight and must reach it.
process.exitCode = code;
