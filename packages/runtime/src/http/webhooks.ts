import type { Env, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { issuesOf, RUNTIME_CODES } from '../errors';
import type { WebhookReceiver } from '../webhooks';

type Problem = (code: string, message: string, issues?: unknown) => { error: Record<string, unknown> };

/**
 * The codes the callback route answers with, beside the runtime's own.
 *
 * @example
 * if (body.error.code === WEBHOOK_CODES.forged) alert('someone is guessing callback URLs');
 */
export const WEBHOOK_CODES = {
  forged: 'webhook.forged',
  unknownKind: 'webhook.unknown-kind',
  invalid: 'webhook.invalid',
  jobMismatch: 'webhook.job-mismatch',
  heldFull: 'webhook.held-full',
} as const;

/**
 * Mounts `POST /hooks/:kind/:hook/:token` on the handler's app. It must be mounted before the handler's guards: a
 * provider carries no bearer token, no Origin the host lists, and names the public host; its URL token is its proof.
 * The body is bounded before it is read, then checked by the kind's zod schema.
 *
 * @example
 * mountWebhooks(app, receiver, problem); // before guardMiddlewares
 */
export function mountWebhooks<E extends Env>(
  app: Hono<E>,
  receiver: WebhookReceiver,
  problem: Problem,
): void {
  app.post(
    '/hooks/:kind/:hook/:token',
    bodyLimit({
      maxSize: receiver.maxBodyBytes,
      onError: (c) =>
        c.json(
          problem(
            RUNTIME_CODES.requestTooLarge,
            `A callback body is at most ${receiver.maxBodyBytes} bytes.`,
          ),
          413,
        ),
    }),
    async (c) => {
      const { kind, hook, token } = c.req.param();
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        body = undefined;
      }
      const outcome = await receiver.receive(kind, hook, token, body);
      switch (outcome.kind) {
        case 'recorded':
          return c.json({ ok: true });
        case 'held':
          // accepted, and recorded once the node binds the hook to this job
          return c.json({ ok: true }, 202);
        case 'mismatch':
          return c.json(
            problem(
              WEBHOOK_CODES.jobMismatch,
              'This callback URL was issued for another job than the one the body names; nothing was recorded.',
            ),
            403,
          );
        case 'held-full':
          return c.json(
            problem(
              WEBHOOK_CODES.heldFull,
              'This callback URL already holds callbacks for as many jobs as it may before its job is known; nothing was recorded.',
            ),
            429,
          );
        case 'unknown-kind':
          return c.json(problem(WEBHOOK_CODES.unknownKind, `This server takes no "${kind}" callbacks.`), 404);
        case 'forged':
          return c.json(
            problem(WEBHOOK_CODES.forged, 'This callback URL was not issued by this server.'),
            401,
          );
        default: {
          const first = outcome.issues[0];
          const path = first?.path.map(String) ?? [];
          return c.json(
            problem(
              WEBHOOK_CODES.invalid,
              `The callback body is not what a "${kind}" callback carries (at ${path.join('.') || 'the top'}: ${first?.message ?? 'not JSON'}).`,
              issuesOf(outcome.issues, WEBHOOK_CODES.invalid),
            ),
            400,
          );
        }
      }
    },
  );
}
