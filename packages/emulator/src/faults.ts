import { z } from 'zod';
import { createRandom, hashString, type Random } from './random';

/**
 * The zod schema of a fault rule (also used by the control API). `route` matches `"METHOD /path"` (or just the path) as a glob — `*` stays inside one
 * path segment, `**` crosses segments — or as a regular expression written `/.../`.
 *
 * @example
 * faultRuleSchema.safeParse({ route: '**', rate: 2, kind: '429' }).success; // false: rate is 0..1
 */
export const faultRuleSchema = z
  .object({
    route: z.string().min(1),
    rate: z.number().min(0).max(1),
    kind: z.enum(['latency', '429', '5xx', 'reset', 'slow-body']),
    /** latency: delay before answering; slow-body: time spread over the body's chunks. */
    ms: z.number().int().min(0).max(120_000).optional(),
    /** 429 (and 5xx when given): seconds to wait — Scenario `Retry-After` header, ModelsLab `retry_after` field. */
    retryAfterS: z.number().int().min(0).max(3600).optional(),
    /** 5xx: which status (default 500). */
    status: z.number().int().min(500).max(599).optional(),
    /** reset/5xx: fail before the route runs (default) or after it has changed state. */
    phase: z.enum(['before', 'after']).optional(),
    /** Stop after this many injections. */
    times: z.number().int().min(1).optional(),
  })
  .strict();

/**
 * A fault rule as accepted by `emulator.faults.set` and `POST /_emulator/faults`.
 *
 * @example
 * const rule: FaultRule = { route: 'POST /scenario/v1/models', rate: 1, kind: 'reset', phase: 'after', times: 1 };
 */
export type FaultRule = z.infer<typeof faultRuleSchema>;

/**
 * Seeded, deterministic fault injection: the same rules, seed and request order give the same faults.
 *
 * @example
 * emulator.faults.set([{ route: 'GET /scenario/v1/jobs/*', rate: 0.5, kind: '429', retryAfterS: 1 }]);
 */
export interface Faults {
  set(rules: FaultRule[]): void;
  add(rule: FaultRule): void;
  clear(): void;
  list(): FaultRule[];
  /** @internal picks the fault (if any) for one request; draws from each matching rule's generator. */
  pick(method: string, path: string): FaultRule | undefined;
}

interface ActiveRule {
  rule: FaultRule;
  matches: (method: string, path: string) => boolean;
  random: Random;
  used: number;
}

/** Turns a glob or `/regex/` into a matcher on method and path. Throws a readable error on a bad pattern. */
export function compileRoute(pattern: string): (method: string, path: string) => boolean {
  const regex = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (regex) {
    const re = new RegExp(regex[1] as string, regex[2]);
    return (method, path) => re.test(`${method} ${path}`);
  }
  const space = pattern.indexOf(' ');
  const method = space > 0 ? pattern.slice(0, space).toUpperCase() : undefined;
  const glob = space > 0 ? pattern.slice(space + 1).trim() : pattern;
  // Hand-written because glob libraries pull in node:path, and the emulator must run in a browser.
  const source = glob
    .split(/(\*\*|\*)/)
    .map((part) =>
      part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  const re = new RegExp(`^${source}$`);
  return (m, path) => (method === undefined || method === '*' || method === m) && re.test(path);
}

/** Creates the fault injector for one emulator. */
export function createFaults(seed: number): Faults {
  let active: ActiveRule[] = [];
  const activate = (rule: FaultRule, index: number): ActiveRule => ({
    rule,
    matches: compileRoute(rule.route),
    random: createRandom(hashString(`${rule.route}\u0000${rule.kind}\u0000${index}`, seed)),
    used: 0,
  });
  return {
    set(rules) {
      active = rules.map((r, i) => activate(faultRuleSchema.parse(r), i));
    },
    add(rule) {
      active.push(activate(faultRuleSchema.parse(rule), active.length));
    },
    clear() {
      active = [];
    },
    list: () => active.map((a) => a.rule),
    pick(method, path) {
      for (const a of active) {
        if (!a.matches(method, path)) continue;
        if (a.rule.times !== undefined && a.used >= a.rule.times) continue;
        if (a.random() < a.rule.rate) {
          a.used++;
          return a.rule;
        }
      }
      return undefined;
    },
  };
}
