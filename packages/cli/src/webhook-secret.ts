import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI_CODES, CliError } from './errors';
import type { CliIo } from './io';

/**
 * The secret webhook tokens are made with: `LORAFLOW_WEBHOOK_SECRET` when set (every process that hands out or checks
 * callback URLs must share it), else `webhook-secret` in the store, made once (32 random bytes, readable by its owner
 * only), so callback URLs given out before a restart still verify after it.
 *
 * @example
 * const secret = await webhookSecret(io, storeDir);
 */
export async function webhookSecret(io: CliIo, storeDir: string): Promise<string> {
  const given = io.env.LORAFLOW_WEBHOOK_SECRET;
  if (given !== undefined && given.length > 0) {
    if (given.length < 32) {
      throw new CliError(
        CLI_CODES.envInvalid,
        ['LORAFLOW_WEBHOOK_SECRET'],
        'LORAFLOW_WEBHOOK_SECRET must be at least 32 characters long (e.g. 32 random bytes, base64url).',
      );
    }
    return given;
  }
  const file = join(storeDir, 'webhook-secret');
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  try {
    // link fails when the file exists, and never shows a half-written one: the first process's secret wins.
    await link(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(draft);
  }
  const secret = (await readFile(file, 'utf8')).trim();
  if (secret.length < 32) {
    throw new CliError(
      CLI_CODES.storeUnusable,
      ['--store'],
      `The webhook secret in ${file} is too short; delete the file and a new one is made.`,
    );
  }
  return secret;
}

/**
 * Refuses `--public-url` where the webhook secret must be shared with other processes and no
 * `LORAFLOW_WEBHOOK_SECRET` is set: a worker's store folder is its own, so a secret made there would never match
 * the one serve checks callbacks with.
 *
 * @example
 * if (flags.publicUrl !== undefined) requireSharedWebhookSecret(io, 'loraflow worker');
 */
export function requireSharedWebhookSecret(io: CliIo, who: string): void {
  const given = io.env.LORAFLOW_WEBHOOK_SECRET;
  if (given !== undefined && given.length > 0) return;
  throw new CliError(
    CLI_CODES.flagInvalid,
    ['--public-url'],
    `${who} with --database and --public-url needs LORAFLOW_WEBHOOK_SECRET (at least 32 characters), the same for serve and every worker: processes sharing a database share no folder to keep one in.`,
  );
}
