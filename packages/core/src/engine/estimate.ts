// estimate: each planned node's cost, from its definition's hook, seeing what `run` would see of
// params and connection settings (parsed) and of upstream values (those already in the cache).
import type { NodeError } from '../events';
import type { Estimate, InputItem } from '../node';
import type { CacheEntry } from '../store';
import type { Analysis } from '../validate';
import type { ExplainEntry, NodeEstimate } from './api';
import type { CacheAccess } from './cache-access';
import { errorMessage } from './common';
import { type InternalPlan, portFactsOf, type Step } from './plan';

/** What an estimate needs of the engine: the store, the host's services and the redactor. */
export interface EstimateParts {
  access: CacheAccess;
  services: Map<string, unknown>;
  redact: (text: string) => string;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** The estimate of each explained step of `plan`, in plan order: `entries` (typed explain entries) with their costs. */
export async function estimatePlan(
  plan: InternalPlan,
  analysis: Analysis,
  entries: NodeEstimate[],
  parts: EstimateParts,
): Promise<NodeEstimate[]> {
  const services = {
    has: (name: string) => parts.services.has(name),
    get: <T>(name: string): T => {
      if (!parts.services.has(name)) {
        throw Object.assign(
          new Error(`The estimate needs the service "${name}", which this engine was not given.`),
          { code: 'service.missing' },
        );
      }
      return parts.services.get(name) as T;
    },
  };
  // the entries are this call's own objects: a cost is added in place, nothing is copied per node
  for (const step of plan.steps) {
    const node = entries[step.index]!;
    const hook = step.def.estimate;
    if (node.willRun && hook) {
      try {
        const facts = portFactsOf(analysis, analysis.slotOf.get(step.nodeId)!);
        const inputs = await knownInputs(step, entries, parts.access);
        const cost: Estimate | undefined = await hook({ params: step.params, inputs, ...facts, services });
        if (cost) node.cost = cost;
        else node.costUnknown = true;
      } catch (error) {
        node.costError = costError(error, parts.redact);
      }
    }
  }
  return entries;
}

/**
 * The upstream values already in the cache, shaped as `ctx.inputs` (settings as the engine parsed
 * them); an input with any connection whose value is not known yet is left out, so a hook never
 * prices a part of a list as the whole.
 */
async function knownInputs(
  step: Step,
  entries: ExplainEntry[],
  access: CacheAccess,
): Promise<Record<string, unknown>> {
  const inputs: Record<string, unknown> = {};
  const unknown = new Set<string>();
  const l = step.links;
  for (let w = l.wireStart[step.index]!; w < l.wireStart[step.index + 1]!; w++) {
    const port = l.wirePort[w]!;
    if (unknown.has(port)) continue;
    const key = entries[l.wireFrom[w]!]?.key;
    const cached = key === undefined ? undefined : await read(access, key);
    const fromPort = l.wireFromPort[w]!;
    if (!cached || !Object.hasOwn(cached.outputs, fromPort)) {
      unknown.add(port);
      delete inputs[port];
      continue;
    }
    const value = cached.outputs[fromPort];
    if (step.def.inputs?.[port]?.multiple) {
      const list = (inputs[port] as InputItem[] | undefined) ?? [];
      list.push({ value, settings: (l.wireSettings[w] ?? EMPTY) as Record<string, unknown> });
      inputs[port] = list;
    } else inputs[port] = value;
  }
  return inputs;
}

async function read(access: CacheAccess, key: string): Promise<CacheEntry | undefined> {
  try {
    return access.getSync ? access.getSync(key) : await access.cache.get(key);
  } catch {
    return undefined;
  }
}

function costError(error: unknown, redact: (text: string) => string): NodeError {
  const code = (error as { code?: unknown } | null)?.code;
  return { code: typeof code === 'string' ? code : 'estimate.failed', message: redact(errorMessage(error)) };
}
