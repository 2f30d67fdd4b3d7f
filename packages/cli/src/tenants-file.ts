// `serve --tenants <file>`: each caller's bearer token names a tenant whose own provider keys its runs spend (decision 0034).
import { createHash, timingSafeEqual } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createLoraModelSources, type LoraServices } from '@loraflow/nodes';
import { ModelsLabClient, ScenarioClient } from '@loraflow/providers';
import {
  type CredentialsHook,
  type TenantCredentials,
  type TenantOptions,
  tenantCredentialsSchema,
} from '@loraflow/runtime';
import { z } from 'zod';
import { type ProviderEnv, readProviderEnv } from './env';
import { CLI_CODES, CliError } from './errors';
import type { CliIo } from './io';

const tenantsFileSchema = z.strictObject({
  tenants: z
    .array(
      tenantCredentialsSchema
        .extend({
          // what the tenant's requests carry as `Authorization: Bearer <token>`
          token: z.string().min(16, 'must be at least 16 characters').max(512),
        })
        // a tenant with no keys would be served and fail at its first provider call, far from this file
        .refine((t) => t.providers.scenario !== undefined || t.providers.modelslab !== undefined, {
          path: ['providers'],
          message: 'must name at least one provider (scenario or modelslab)',
        }),
    )
    .min(1, 'must name at least one tenant')
    .max(10_000)
    .refine((all) => new Set(all.map((t) => t.tenant)).size === all.length, 'names a tenant twice')
    .refine(
      (all) => new Set(all.map((t) => t.token)).size === all.length,
      'gives two tenants the same token',
    ),
});

/**
 * What `serve --tenants` serves with: the runtime's `tenants` option and the handler's `credentials` hook, both read
 * from one file.
 *
 * @example
 * const { tenants, credentials, secrets } = await readTenantsFile('tenants.json', 'tenants.json', env);
 */
export interface ServedTenants {
  tenants: TenantOptions;
  credentials: CredentialsHook;
  /** Every token and key in the file: the runtime keeps them out of what it stores and says. */
  secrets: string[];
}

/**
 * Reads a tenants file — `{ "tenants": [{ "token", "tenant", "providers": { "scenario"?: { apiKey, apiSecret,
 * projectId? }, "modelslab"?: { apiKey } } }] }` — refusing a missing or malformed one with the JSON path and the rule
 * broken (never a value: the file is keys). Provider clients go to the environment's base URLs when set.
 *
 * @example
 * const served = await readTenantsFile(resolve(cwd, flags.tenants), flags.tenants, readProviderEnv(io.env));
 */
export async function readTenantsFile(
  file: string,
  shownAs: string,
  env: ProviderEnv,
): Promise<ServedTenants> {
  const text = await readPrivateFile(file, shownAs);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // the parser's message quotes the text around the error, which is keys here
    throw new CliError(CLI_CODES.fileNotJson, [shownAs], 'The tenants file is not valid JSON.');
  }
  const parsed = tenantsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(
      CLI_CODES.fileInvalid,
      [shownAs, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
      // the path says where; zod's own sentences ("Invalid input: …") read as a clause after the colon
      `The tenants file is refused here: ${sentenceOf(issue)}.`,
    );
  }
  const entries = parsed.data.tenants.map(({ token, ...credentials }) => ({
    digest: digestOf(token),
    credentials: credentials as TenantCredentials,
  }));
  const byTenant = new Map(entries.map((e) => [e.credentials.tenant, e.credentials]));
  return {
    tenants: {
      services: (credentials) => clientsFor(credentials, env),
      // a tenant's picker lists its own project's models, through its own keys
      models: (services) => createLoraModelSources(services as Partial<LoraServices>),
      credentialsFor: (tenant) => byTenant.get(tenant),
    },
    credentials: (request) => {
      // the scheme is case-insensitive (RFC 9110), as hono's bearerAuth reads the single `--token`
      const match = /^bearer +(.+)$/i.exec(request.headers.get('authorization') ?? '');
      if (!match) return undefined;
      const digest = digestOf(match[1]!);
      // compared in constant time on fixed-length digests, each entry every time, so timing tells nothing
      let found: TenantCredentials | undefined;
      for (const entry of entries) if (timingSafeEqual(entry.digest, digest)) found = entry.credentials;
      return found;
    },
    secrets: parsed.data.tenants.flatMap((t) => [
      t.token,
      ...[
        t.providers.scenario?.apiKey,
        t.providers.scenario?.apiSecret,
        t.providers.modelslab?.apiKey,
      ].filter((s): s is string => s !== undefined),
    ]),
  };
}

/**
 * The tenants file a `--tenants` flag names, relative to the cwd, with the environment's provider base URLs.
 *
 * @example
 * const served = await tenantsOfFlag(io, flags.tenants);
 */
export function tenantsOfFlag(io: CliIo, flag: string): Promise<ServedTenants> {
  return readTenantsFile(resolve(io.cwd, flag), flag, readProviderEnv(io.env));
}

// 10,000 tenants of a few hundred bytes each fit many times over; a larger file is a mistake, not a tenants file.
const MAX_TENANTS_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Reads the tenants file through one handle (what is checked is what is read), refusing it when it is too large or
 * when group or others may read or change it: it holds every tenant's keys, so, like ssh with a private key, a file
 * others can read is refused rather than used. Windows has no such mode bits, so the check is POSIX only.
 */
async function readPrivateFile(file: string, shownAs: string): Promise<string> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    const stat = await handle.stat();
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new CliError(
        CLI_CODES.fileUnprotected,
        [shownAs],
        `The tenants file holds provider keys, but its mode ${mode} lets group or others read or change it; make it private with chmod 600 ${shownAs}.`,
      );
    }
    const tooLarge = () =>
      new CliError(
        CLI_CODES.fileTooLarge,
        [shownAs],
        `The tenants file is larger than ${MAX_TENANTS_FILE_BYTES / (1024 * 1024)} MiB.`,
      );
    if (stat.size > MAX_TENANTS_FILE_BYTES) throw tooLarge();
    // a pipe (`--tenants /dev/stdin`) has no size to check: the read itself stops one byte past the bound
    const bytes = await readAtMost(handle, MAX_TENANTS_FILE_BYTES + 1);
    if (bytes.byteLength > MAX_TENANTS_FILE_BYTES) throw tooLarge();
    return bytes.toString('utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? CLI_CODES.fileNotFound : CLI_CODES.fileUnreadable,
      [shownAs],
      code === 'ENOENT'
        ? 'There is no such tenants file.'
        : `The tenants file cannot be read (${code ?? 'error'}).`,
    );
  } finally {
    await handle?.close();
  }
}

// a misspelt field (`apikey`) is named; a key or token pasted where a field goes (a file keyed by token) is not
const FIELD_NAME = /^[A-Za-z_]{1,15}$/;

/** Zod's sentence for an issue as a clause, naming an unknown field only when it reads as a field name. */
function sentenceOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const named = issue.keys.filter((k) => FIELD_NAME.test(k)).map((k) => JSON.stringify(k));
    const unnamed = issue.keys.length - named.length;
    const listed = [...named, ...(unnamed > 0 ? [`${unnamed} not shown (it may be a key or token)`] : [])];
    return `this file has no such field: ${listed.join(', ')}`;
  }
  return `${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}`;
}

/** Reads from the handle's position until its end or `max` bytes, whichever comes first. */
async function readAtMost(handle: FileHandle, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < max) {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(Math.min(1024 * 1024, max - total)), 0);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    total += bytesRead;
  }
  return Buffer.concat(chunks, total);
}

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** A tenant's provider clients, at the environment's base URLs when set (the vendors' own otherwise). */
function clientsFor(credentials: TenantCredentials, env: ProviderEnv): Record<string, unknown> {
  const { scenario, modelslab } = credentials.providers;
  return {
    ...(scenario
      ? {
          scenario: new ScenarioClient({
            apiKey: scenario.apiKey,
            apiSecret: scenario.apiSecret,
            ...(scenario.projectId ? { projectId: scenario.projectId } : {}),
            ...(env.SCENARIO_BASE_URL ? { baseUrl: env.SCENARIO_BASE_URL } : {}),
          }),
        }
      : {}),
    ...(modelslab
      ? {
          modelslab: new ModelsLabClient({
            apiKey: modelslab.apiKey,
            ...(env.MODELSLAB_BASE_URL ? { baseUrl: env.MODELSLAB_BASE_URL } : {}),
          }),
        }
      : {}),
  };
}
