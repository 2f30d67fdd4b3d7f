import type { RunningEmulator } from '@loraflow/emulator/node';
import type { ModelsLabClient, ScenarioClient, Sleep } from '@loraflow/providers';
import { z } from 'zod';
import { CLI_CODES, CliError } from './errors';

/**
 * The environment variables the command reads; nothing else in the environment is looked at.
 *
 * @example
 * const configured = ENV_NAMES.filter((name) => process.env[name]);
 */
export const ENV_NAMES = [
  'SCENARIO_API_KEY',
  'SCENARIO_API_SECRET',
  'SCENARIO_PROJECT_ID',
  'SCENARIO_BASE_URL',
  'MODELSLAB_API_KEY',
  'MODELSLAB_BASE_URL',
] as const;

const optionalText = z
  .string()
  .transform((s) => s.trim())
  .optional()
  .transform((s) => (s ? s : undefined));
const optionalUrl = optionalText.pipe(z.url({ protocol: /^https?$/ }).optional());

const envSchema = z
  .object({
    SCENARIO_API_KEY: optionalText,
    SCENARIO_API_SECRET: optionalText,
    SCENARIO_PROJECT_ID: optionalText,
    SCENARIO_BASE_URL: optionalUrl,
    MODELSLAB_API_KEY: optionalText,
    MODELSLAB_BASE_URL: optionalUrl,
  })
  .superRefine((e, ctx) => {
    // One half of a Scenario key pair is a configuration mistake, not "no keys".
    if (Boolean(e.SCENARIO_API_KEY) !== Boolean(e.SCENARIO_API_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: [e.SCENARIO_API_KEY ? 'SCENARIO_API_SECRET' : 'SCENARIO_API_KEY'],
        message: 'SCENARIO_API_KEY and SCENARIO_API_SECRET go together: set both, or neither.',
      });
    }
  });

/**
 * Provider settings read from the environment.
 *
 * @example
 * const env: ProviderEnv = readProviderEnv(process.env);
 */
export type ProviderEnv = z.output<typeof envSchema>;

/**
 * Reads the provider settings from the environment, refusing a half-set key pair or a malformed base URL with the
 * variable's name. Values never appear in the messages.
 *
 * @example
 * const env = readProviderEnv(process.env);
 * if (!env.SCENARIO_API_KEY && !env.MODELSLAB_API_KEY) useEmulator();
 */
export function readProviderEnv(env: Readonly<Record<string, string | undefined>>): ProviderEnv {
  const picked: Record<string, string | undefined> = {};
  for (const name of ENV_NAMES) picked[name] = env[name];
  const parsed = envSchema.safeParse(picked);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? 'environment');
  const message =
    issue.code === 'custom'
      ? issue.message
      : `${name} must be an http(s) URL such as https://api.example.com/v1.`;
  throw new CliError(CLI_CODES.envInvalid, [name], message);
}

/**
 * What the command runs against: the two clients, how to poll, the secrets to redact, and how to let go.
 *
 * @example
 * const { scenario, secrets, close } = await openProviders(readProviderEnv(process.env));
 */
export interface Providers {
  scenario: ScenarioClient;
  modelslab: ModelsLabClient;
  polling: { sleep?: Sleep; now?: () => number; maxIntervalMs?: number };
  /** Every credential in use: the runtime keeps them out of the store, events, logs and errors. */
  secrets: string[];
  /** Set when the built-in emulator serves the calls (no keys in the environment). */
  emulator?: RunningEmulator;
  close(): Promise<void>;
}

/**
 * Emulated time runs this much faster than real time in the built-in emulator: a 15-minute training takes 1.5 s.
 *
 * @example
 * const realMs = emulatedMs / EMBEDDED_EMULATOR_SPEED;
 */
export const EMBEDDED_EMULATOR_SPEED = 600;

/** Retries for the CLI's clients: a long pipeline meets more transient faults than one call does. */
const RETRY = { maxRetries: 6, baseDelayMs: 200, maxDelayMs: 5_000 } as const;

/**
 * Builds the provider clients: real ones from the environment's keys (optionally at other base URLs), or — when no
 * key is set — the built-in emulator on a loopback port with a fast clock, its state kept in `emulatorStateFile`.
 *
 * @example
 * const providers = await openProviders(readProviderEnv(process.env), { maxPollMs: 250 });
 * try { ... } finally { await providers.close(); }
 */
export async function openProviders(
  env: ProviderEnv,
  o: { maxPollMs?: number; emulatorStateFile?: string } = {},
): Promise<Providers> {
  const hasKeys = Boolean(env.SCENARIO_API_KEY || env.MODELSLAB_API_KEY);
  // Loaded on use, not at the top: a command that opens no provider does not pay for the HTTP clients (undici).
  const clients = await import('@loraflow/providers');
  if (!hasKeys) {
    // The emulator (its routes and PNG codec) loads only when it stands in for the providers.
    const { EMULATOR_CREDENTIALS, emulatedSleep, startEmulator } = await import('@loraflow/emulator/node');
    // With a state file the emulator's models outlive the process, so a persistent cache stays valid.
    const server = await startEmulator({
      clock: { speed: EMBEDDED_EMULATOR_SPEED },
      port: 0,
      ...(o.emulatorStateFile !== undefined ? { persistFile: o.emulatorStateFile } : {}),
    });
    const clock = server.emulator.clock;
    const scenario = new clients.ScenarioClient({
      baseUrl: `${server.url}/scenario/v1`,
      apiKey: EMULATOR_CREDENTIALS.scenario.key,
      apiSecret: EMULATOR_CREDENTIALS.scenario.secret,
      retry: RETRY,
    });
    const modelslab = new clients.ModelsLabClient({
      baseUrl: `${server.url}/modelslab/api`,
      apiKey: EMULATOR_CREDENTIALS.modelslab.key,
      retry: RETRY,
    });
    // Polls wait in emulated time: a 30 s interval of the vendor's hint is 50 ms of real time here.
    const sleep: Sleep = emulatedSleep(EMBEDDED_EMULATOR_SPEED);
    return {
      scenario,
      modelslab,
      polling: { sleep, now: () => clock.now() },
      secrets: [EMULATOR_CREDENTIALS.scenario.secret, EMULATOR_CREDENTIALS.modelslab.key],
      emulator: server,
      close: () => server.close(),
    };
  }
  const missing = (name: string): never => {
    throw new CliError(
      CLI_CODES.envInvalid,
      [name],
      `${name} is not set; this graph's provider needs it (the other provider's key alone is not enough).`,
    );
  };
  const scenarioKey = env.SCENARIO_API_KEY;
  const scenarioSecret = env.SCENARIO_API_SECRET;
  const modelslabKey = env.MODELSLAB_API_KEY;
  const lazy = <T extends object>(make: () => T): T => {
    let made: T | undefined;
    // A client for a provider without keys fails only when a node actually calls it, with the variable to set.
    return new Proxy({} as T, {
      get(_target, prop) {
        made ??= make();
        const value = Reflect.get(made, prop, made) as unknown;
        return typeof value === 'function' ? value.bind(made) : value;
      },
    });
  };
  const scenario =
    scenarioKey && scenarioSecret
      ? new clients.ScenarioClient({
          apiKey: scenarioKey,
          apiSecret: scenarioSecret,
          retry: RETRY,
          ...(env.SCENARIO_BASE_URL ? { baseUrl: env.SCENARIO_BASE_URL } : {}),
          ...(env.SCENARIO_PROJECT_ID ? { projectId: env.SCENARIO_PROJECT_ID } : {}),
        })
      : lazy<ScenarioClient>(() => missing('SCENARIO_API_KEY'));
  const modelslab = modelslabKey
    ? new clients.ModelsLabClient({
        apiKey: modelslabKey,
        retry: RETRY,
        ...(env.MODELSLAB_BASE_URL ? { baseUrl: env.MODELSLAB_BASE_URL } : {}),
      })
    : lazy<ModelsLabClient>(() => missing('MODELSLAB_API_KEY'));
  return {
    scenario,
    modelslab,
    polling: o.maxPollMs !== undefined ? { maxIntervalMs: o.maxPollMs } : {},
    secrets: [scenarioKey, scenarioSecret, modelslabKey].filter((s): s is string => Boolean(s)),
    close: async () => {},
  };
}
