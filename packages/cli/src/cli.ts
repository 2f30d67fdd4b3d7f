import { Command, CommanderError, Option } from 'commander';
import { CLI_CODES, CliError, EXIT, formatProblem } from './errors';
import type { CliIo } from './io';

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * The version `loraflow --version` prints.
 *
 * @example
 * io.stdout.write(`loraflow ${CLI_VERSION}\n`);
 */
export const CLI_VERSION = '0.1.0';

// Each command's module is imported when it runs: `--help` loads commander and nothing of the engine.
// long because it is the command table: one short declaration per command, read top to bottom as --help lists them
function program(io: CliIo, setCode: (code: number) => void): Command {
  const root = new Command('loraflow')
    .description('Run, check and serve loraflow graphs: LoRA pipelines as JSON node graphs.')
    .version(CLI_VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Commander's own error lines are replaced by one `code at path: sentence` line (see runCli).
      outputError: () => {},
    })
    .showSuggestionAfterError(true);

  root
    .command('run')
    .description('Run a graph: progress per node, images and report.json in --out.')
    .argument('[graph]', 'the graph file (JSON)')
    .option('-o, --out <dir>', 'write the images (<node>-<i>.png) and report.json here')
    .option(
      '--store <dir>',
      'the cache, journal and run history (default .loraflow/; its emulator/ folder with the built-in emulator)',
    )
    .option('--resume <runId>', 'resume a run that was interrupted (its graph is in the store)')
    .option('-t, --target <node>', 'run only what this node needs (repeatable)', collect, [])
    .option(
      '--refresh <node>',
      'run this node and what depends on it again, ignoring the cache (repeatable)',
      collect,
      [],
    )
    .option('--no-cache', 'run every node again, ignoring the cache')
    .option('--json', 'NDJSON events on stdout instead of progress lines')
    .addOption(
      new Option('--max-poll <ms>', 'poll providers at least this often (for emulators with a fast clock)'),
    )
    .action(async (graph: string | undefined, flags: Record<string, unknown>) => {
      const { runCommand } = await import('./commands/run');
      setCode(await runCommand(io, graph, flags));
    });

  root
    .command('validate')
    .description('Check graphs and print every problem (exit 1 when there is one).')
    .argument('<graph...>', 'graph files (JSON)')
    .option('--json', 'one JSON line per file')
    .action(async (graphs: string[], flags: Record<string, unknown>) => {
      const { validateCommand } = await import('./commands/validate');
      setCode(await validateCommand(io, graphs, flags));
    });

  root
    .command('estimate')
    .description('Which nodes will run or come from the cache, and the provider cost from dry runs.')
    .argument('<graph>', 'the graph file (JSON)')
    .option('--store <dir>', 'the store whose cache to consult (default .loraflow/)')
    .option('-t, --target <node>', 'estimate only what this node needs (repeatable)', collect, [])
    .option('--json', 'the estimate as JSON')
    .action(async (graph: string, flags: Record<string, unknown>) => {
      const { estimateCommand } = await import('./commands/estimate');
      setCode(await estimateCommand(io, graph, flags));
    });

  root
    .command('runs')
    .description('The run history of a store, newest first; interrupted runs show how to resume them.')
    .option('--store <dir>', 'the store to read (default .loraflow/)')
    .option('-n, --limit <count>', 'how many runs to list', '20')
    .option('--json', 'one JSON object per run (NDJSON), without the graph')
    .action(async (flags: Record<string, unknown>) => {
      const { runsCommand } = await import('./commands/runs');
      setCode(await runsCommand(io, flags));
    });

  root
    .command('schema')
    .description("JSON Schema of the graph format and of every node's params.")
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (flags: Record<string, unknown>) => {
      const { schemaCommand } = await import('./commands/schema');
      setCode(await schemaCommand(io, flags));
    });

  root
    .command('serve')
    .description("Serve the runtime's HTTP API (runs, events, catalogue) with the keys of this environment.")
    .option('-p, --port <port>', 'port (0 picks a free one)', '8787')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--store <dir>', 'the cache, journal and run history (default .loraflow/)')
    .option('--files-root <dir>', 'the folder graphs may read training images from (default: none)')
    .option('--allow-origin <origin>', 'a web page origin allowed to call the API (repeatable)', collect, [])
    .option(
      '--allow-host <host>',
      'another Host header to answer to, e.g. name:port behind a proxy (repeatable)',
      collect,
      [],
    )
    .option('--max-connections <n>', 'open connections at once; one more is answered 503 (default 512)')
    .option('--max-streams <n>', 'event streams open at once; one more is answered 503 (default 256)')
    .option('--headers-timeout <ms>', "a request's headers must arrive within this (default 10000)")
    .option(
      '--request-timeout <ms>',
      'a whole request, body included, must arrive within this (default 60000)',
    )
    .addOption(
      new Option('--max-poll <ms>', 'poll providers at least this often (for emulators with a fast clock)'),
    )
    .option(
      '--public-url <url>',
      'where providers reach this server: nodes give them webhooks, polling becomes a safety net',
    )
    .option(
      '--tenants <file>',
      "serve many tenants: each bearer token in the file runs on that tenant's own keys",
    )
    .option(
      '--database <url>',
      'keep runs, events and the cache in PostgreSQL (postgres://…) and execute runs through its queue',
    )
    .option(
      '--workers <n>',
      'with --database: runs executed at once in this process; 0 serves the API only (default 8)',
    )
    .option(
      '--lease <ms>',
      "with --database: how long a run outlives its executor's last heartbeat (default 60000)",
    )
    .action(async (flags: Record<string, unknown>) => {
      const { serveCommand } = await import('./commands/serve');
      setCode(await serveCommand(io, flags));
    });

  root
    .command('worker')
    .description('Execute the runs queued by `loraflow serve --database` (start as many as you like).')
    .requiredOption('--database <url>', 'the PostgreSQL database serve uses (postgres://…)')
    .option('-c, --concurrency <n>', 'runs executed at once (default 8)')
    .option(
      '--lease <ms>',
      "how long a run outlives this worker's last heartbeat before another takes it (default 60000)",
    )
    .option(
      '--store <dir>',
      'with the built-in emulator: the folder of its shared state (default .loraflow/)',
    )
    .option('--files-root <dir>', 'the folder graphs may read training images from (default: none)')
    .addOption(
      new Option('--max-poll <ms>', 'poll providers at least this often (for emulators with a fast clock)'),
    )
    .option('--tenants <file>', "serve's tenants file: each tenant's runs execute on its own keys")
    .option(
      '--public-url <url>',
      "serve's public URL: nodes give providers webhooks to it (needs LORAFLOW_WEBHOOK_SECRET, as serve has)",
    )
    .action(async (flags: Record<string, unknown>) => {
      const { workerCommand } = await import('./commands/worker');
      setCode(await workerCommand(io, flags));
    });

  root
    .command('emulator')
    .description('Run the local Scenario/ModelsLab emulator on 127.0.0.1.')
    .option('-p, --port <port>', 'port (0 picks a free one)', '8790')
    .option('--speed <factor>', 'emulated time runs this many times faster', '1')
    .option('--seed <n>', 'seed for ids and images')
    .action(async (flags: Record<string, unknown>) => {
      const { emulatorCommand } = await import('./commands/emulator');
      setCode(await emulatorCommand(io, flags));
    });

  return root;
}

/**
 * Runs the `loraflow` command with `args` (without `node` and the script) and answers its exit code. It never throws:
 * every refusal is printed to stderr as `loraflow: <code> at <path>: <sentence>` (JSON with `--json`).
 *
 * @example
 * const code = await runCli(['validate', 'examples/train-from-images.json'], { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const json = args.includes('--json');
  const fail = (c: string, path: (string | number)[], message: string, exit: number): number => {
    if (json) io.stderr.write(`${JSON.stringify({ error: { code: c, path, message } })}\n`);
    else io.stderr.write(`loraflow: ${formatProblem({ code: c, path, message })}\n`);
    return exit;
  };
  try {
    await program(io, (c) => {
      code = c;
    }).parseAsync([...args], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      const message = error.message.replace(/^error: /, '');
      return fail(
        CLI_CODES.usage,
        [],
        `${message.charAt(0).toUpperCase()}${message.slice(1)} (see loraflow --help).`,
        EXIT.usage,
      );
    }
    if (error instanceof CliError) return fail(error.code, error.path, error.message, error.exitCode);
    // Already loaded by whichever command threw it; imported here so `--help` does not load the runtime.
    const { RuntimeError } = await import('@loraflow/runtime');
    if (error instanceof RuntimeError) return fail(error.code, [], error.message, EXIT.failed);
    const known = (error as { code?: unknown })?.code;
    // Unexpected failures carry no stack to the user; their message has already passed the providers' redaction.
    return fail(
      typeof known === 'string' ? known : CLI_CODES.internal,
      [],
      error instanceof Error ? error.message : String(error),
      EXIT.failed,
    );
  }
}
