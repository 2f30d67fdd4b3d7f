import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRegistry } from '@loraflow/core';
import { createLoraModelSources, loraPack, loraWebhookKinds } from '@loraflow/nodes';
import {
  createRuntime,
  createWebhookReceiver,
  type LocalRuntime,
  type RuntimeStore,
  type TenantOptions,
  type WebhookReceiver,
} from '@loraflow/runtime';
import { createFileStore } from '@loraflow/runtime/node';
import { openProviders, type Providers, readProviderEnv } from './env';
import { CLI_CODES, CliError, EXIT } from './errors';
import { createFilesService } from './graph-file';
import type { CliIo } from './io';
import { loraStoppers } from './stoppers';
import { storeDirOf } from './store-dir';
import { storeWarnings } from './store-warnings';
import { webhookSecret } from './webhook-secret';

/**
 * The message printed on stderr whenever the built-in emulator stands in for the providers.
 *
 * @example
 * if (providers.emulator) io.stderr.write(`${EMULATOR_NOTICE}\n`);
 */
export const EMULATOR_NOTICE = 'loraflow: no provider keys set — using the built-in emulator';

/**
 * A runtime with the LoRA pack, its providers and its store, ready for one command.
 *
 * @example
 * const { runtime, close }: CliRuntime = await openRuntime(io, { filesRoot: '.', outDir: 'out' });
 */
export interface CliRuntime {
  runtime: LocalRuntime;
  providers: Providers;
  store: RuntimeStore;
  /** Where the store lives (`<store>/emulator` with the built-in emulator). */
  storeDir: string;
  /** The callback receiver, with `publicUrl`: mount it on the handler (`createRuntimeHandler(runtime, { webhooks })`). */
  webhooks?: WebhookReceiver;
  close(): Promise<void>;
}

/**
 * Opens what a command runs on: provider clients from the environment (or the built-in emulator, announced on
 * stderr), the store (`--store`, else `.loraflow/` in the cwd; its `emulator/` folder with the built-in emulator,
 * whose own state is kept there too so its models outlive the process) and a runtime over both.
 *
 * @example
 * const { runtime, close } = await openRuntime(io, { filesRoot: 'examples', outDir: 'out' });
 */
export async function openRuntime(
  io: CliIo,
  o: {
    store?: string | undefined;
    filesRoot: string | undefined;
    outDir: string;
    maxPollMs?: number | undefined;
    /** Store warnings as JSON lines (`--json`). */
    json?: boolean;
    /** Where providers reach this process's HTTP handler: nodes give them webhooks (`serve --public-url`). */
    publicUrl?: string | undefined;
    /** Many tenants, each on its own keys (`serve --tenants`), and their keys and tokens to keep secret. */
    tenants?: { options: TenantOptions; secrets: string[] };
    /**
     * Keep the store in PostgreSQL at this URL instead of the files (decision 0033); with the built-in emulator its
     * schema is `loraflow_emulator`, as the file store keeps emulated runs in their own folder.
     */
    database?: { url: string; leaseMs?: number; dispatch?: (runId: string) => Promise<void> };
  },
): Promise<CliRuntime> {
  const env = readProviderEnv(io.env);
  const { storeDir, builtIn } = storeDirOf(io, o.store);
  try {
    await mkdir(storeDir, { recursive: true });
  } catch (error) {
    throw new CliError(
      CLI_CODES.storeUnusable,
      ['--store'],
      `The store ${storeDir} cannot be read or written (${(error as NodeJS.ErrnoException).code ?? 'error'}); point --store at a folder you can write.`,
      EXIT.failed,
    );
  }
  const providers = await openProviders(env, {
    ...(o.maxPollMs !== undefined ? { maxPollMs: o.maxPollMs } : {}),
    ...(builtIn ? { emulatorStateFile: join(storeDir, 'provider-state.ndjson') } : {}),
  });
  if (providers.emulator) io.stderr.write(`${EMULATOR_NOTICE}\n`);
  const onProblem = storeWarnings(io, o.json ?? false);
  let store: RuntimeStore & { close?: () => Promise<void> };
  try {
    store = o.database
      ? await openDatabase(o.database.url, builtIn ? 'loraflow_emulator' : 'loraflow', onProblem)
      : createFileStore({ dir: storeDir, onProblem });
  } catch (error) {
    await providers.close();
    throw error;
  }
  const files = createFilesService({ root: o.filesRoot, outDir: o.outDir });
  const secret = o.publicUrl !== undefined ? await webhookSecret(io, storeDir) : undefined;
  const webhooks =
    o.publicUrl !== undefined && secret !== undefined
      ? createWebhookReceiver({ publicUrl: o.publicUrl, secret, kinds: loraWebhookKinds, journal: store })
      : undefined;
  const runtime = createRuntime({
    registry: createRegistry(loraPack),
    store,
    services: {
      scenario: providers.scenario,
      modelslab: providers.modelslab,
      polling: providers.polling,
      files,
      ...(webhooks ? { webhooks } : {}),
    },
    // the webhook secret is as private as a key: redacted wherever a key would be
    secrets: [...providers.secrets, ...(secret !== undefined ? [secret] : []), ...(o.tenants?.secrets ?? [])],
    ...(o.tenants ? { tenants: o.tenants.options } : {}),
    ...(o.database?.leaseMs !== undefined ? { leaseMs: o.database.leaseMs } : {}),
    ...(o.database?.dispatch ? { dispatch: o.database.dispatch } : {}),
    models: createLoraModelSources({ scenario: providers.scenario, modelslab: providers.modelslab }),
    // a run whose executor died is cancelled at the provider too, from its journal (decision 0032)
    stoppers: loraStoppers,
  });
  return {
    runtime,
    providers,
    store,
    storeDir,
    ...(webhooks ? { webhooks } : {}),
    close: async () => {
      await providers.close();
      await store.close?.();
    },
  };
}

/** The PostgreSQL store, loaded only when asked for: the file-store commands never load a database client. */
async function openDatabase(
  url: string,
  schema: string,
  onProblem: Parameters<typeof createFileStore>[0]['onProblem'],
) {
  const { createPostgresStore } = await import('@loraflow/store-postgres');
  try {
    return await createPostgresStore({ connectionString: url, schema, ...(onProblem ? { onProblem } : {}) });
  } catch (error) {
    throw databaseUnusable(error);
  }
}

/**
 * The refusal for a database that cannot be opened: its error code (never the URL, which may hold a password) at
 * `--database`.
 *
 * @example
 * const queue = await createRunQueue({ connectionString: url }).catch((error) => { throw databaseUnusable(error); });
 */
export function databaseUnusable(error: unknown): CliError {
  const code = (error as { code?: unknown }).code;
  return new CliError(
    CLI_CODES.storeUnusable,
    ['--database'],
    `The database cannot be used (${typeof code === 'string' ? code : error instanceof Error ? error.message : 'error'}); check the URL, that PostgreSQL is running and that the role may create a schema once.`,
    EXIT.failed,
  );
}
