// The context a node's `run` receives: its params and inputs, and the run's signal, services,
// blobs, progress, log and effects.
import { NodeRunError } from '../errors';
import type { JsonValue } from '../json';
import type { EffectSpec, InputItem, NodeContext, NodeLogger } from '../node';
import type { HostAbortSignal } from '../signal';
import { type EffectSite, performEffect } from './journal';
import type { Step } from './plan';

/** What a node's context asks of the run it belongs to (the Run). */
export interface ContextHost {
  readonly runId: string;
  readonly signal: HostAbortSignal;
  readonly blobs: NodeContext['blobs'];
  readonly services: Map<string, unknown>;
  /** The outputs of the run's steps so far, by step index. */
  readonly outputs: Array<Readonly<Record<string, unknown>> | undefined>;
  progress(i: number, fraction: number, message?: string, detail?: Record<string, number>): void;
  log(
    nodeId: string,
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    data?: Record<string, unknown>,
  ): void;
  /** Where the effects of step `i` are recorded (see performEffect). */
  effectSite(i: number, key: string): EffectSite;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * A node's context. One class for every run: its methods live on the prototype, so a context costs
 * one object. `declare` fields and prototype getters: class fields with initialisers are defined one
 * by one on every instance, which showed up as the top cost of a node's context in profiles.
 */
export class RunContext {
  declare readonly nodeId: string;
  declare readonly key: string;
  declare readonly params: unknown;
  declare readonly inputs: Record<string, unknown>;
  declare private readonly host: ContextHost;
  declare private readonly i: number;
  // created by the first effect: most nodes have none
  declare private effects: string[] | undefined;

  constructor(host: ContextHost, step: Step, key: string) {
    this.host = host;
    this.i = step.index;
    this.key = key;
    this.effects = undefined;
    this.nodeId = step.nodeId;
    this.params = step.params;
    this.inputs = gatherInputs(step, host.outputs);
  }

  get runId(): string {
    return this.host.runId;
  }

  get signal(): HostAbortSignal {
    return this.host.signal;
  }

  get blobs(): NodeContext['blobs'] {
    return this.host.blobs;
  }

  get log(): NodeLogger {
    return new Logger(this.host, this.nodeId);
  }

  get services(): { get<T>(name: string): T; has(name: string): boolean } {
    return new Services(this.host.services, this.nodeId);
  }

  /** The effect names used so far (internal; not part of NodeContext). */
  effectNames(): string[] | undefined {
    return this.effects;
  }

  progress(fraction: number, message?: string, detail?: Record<string, number>): void {
    this.host.progress(this.i, fraction, message, detail);
  }

  effect<T extends JsonValue>(name: string, spec: EffectSpec<T>): Promise<T> {
    if (this.effects === undefined) this.effects = [];
    return performEffect(this.host.effectSite(this.i, this.key), this.effects, name, spec);
  }
}

class Logger implements NodeLogger {
  declare private readonly host: ContextHost;
  declare private readonly nodeId: string;
  constructor(host: ContextHost, nodeId: string) {
    this.host = host;
    this.nodeId = nodeId;
  }
  debug(m: string, d?: Record<string, unknown>) {
    this.host.log(this.nodeId, 'debug', m, d);
  }
  info(m: string, d?: Record<string, unknown>) {
    this.host.log(this.nodeId, 'info', m, d);
  }
  warn(m: string, d?: Record<string, unknown>) {
    this.host.log(this.nodeId, 'warn', m, d);
  }
  error(m: string, d?: Record<string, unknown>) {
    this.host.log(this.nodeId, 'error', m, d);
  }
}

/** A node's view of the engine's services: `get` names the node when one is missing. */
export class Services {
  declare private readonly services: Map<string, unknown>;
  declare private readonly nodeId: string;
  constructor(services: Map<string, unknown>, nodeId: string) {
    this.services = services;
    this.nodeId = nodeId;
  }
  has(name: string): boolean {
    return this.services.has(name);
  }
  get<T>(name: string): T {
    if (!this.services.has(name)) {
      throw new NodeRunError(
        'service.missing',
        `"${this.nodeId}" needs the service "${name}", which this engine was not given (createEngine({ services })).`,
      );
    }
    return this.services.get(name) as T;
  }
}

/** A step's inputs from its upstream outputs: one value per single input, a frozen list per multiple one. */
function gatherInputs(
  step: Step,
  outputs: ReadonlyArray<Readonly<Record<string, unknown>> | undefined>,
): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  const specs = step.def.inputs;
  if (specs) for (const port in specs) if (specs[port]!.multiple) inputs[port] = [];
  const l = step.links;
  for (let w = l.wireStart[step.index]!; w < l.wireStart[step.index + 1]!; w++) {
    const value = outputs[l.wireFrom[w]!]![l.wireFromPort[w]!];
    const port = l.wirePort[w]!;
    const list = inputs[port];
    if (Array.isArray(list)) {
      list.push({
        value,
        settings: (l.wireSettings[w] ?? EMPTY) as Record<string, unknown>,
      } satisfies InputItem);
    } else inputs[port] = value;
  }
  for (const port in inputs) {
    const value = inputs[port];
    if (Array.isArray(value)) Object.freeze(value);
  }
  return inputs;
}
