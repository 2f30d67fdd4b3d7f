import type { z } from 'zod/mini';
import type { JsonValue } from './json';
import type { AnySchema } from './parse-schema';
import type { HostAbortSignal } from './signal';
import type { BlobRef } from './store';
import type { PortType, PortValue, TypeDefinition, TypeRegistry } from './types';
import { createTypeRegistry } from './types';

// Method-extraction keeps callbacks bivariant, so a definition with specific params fits a registry of any.
type Bivariant<A, R> = { fn(arg: A): R }['fn'];

/**
 * How a node's result may be reused: always (`pure`), only within the same run (`run`), or not at all (`never`).
 *
 * @example
 * cache: (p: { seed?: number }): CachePolicy => (p.seed === undefined ? 'run' : 'pure')
 */
export type CachePolicy = 'pure' | 'run' | 'never';

/**
 * An input port. `multiple` takes an ordered list of connections, each with its own `settings`
 * (validated by the `settings` schema); `max` caps the list.
 *
 * @example
 * const loras: InputSpec = { type: { kind: 'lora' }, multiple: true, max: 5, settings: z.object({ scale: z.number() }) };
 */
export interface InputSpec<P = unknown> {
  type: PortType | Bivariant<P, PortType>;
  multiple?: boolean;
  optional?: boolean;
  max?: number;
  settings?: AnySchema;
  label?: string;
  description?: string;
}

/**
 * An output port; its type may depend on params and on the types connected to the inputs.
 *
 * @example
 * const out: OutputSpec<{ family: string }> = { type: ({ params }) => ({ kind: 'lora', params: { family: params.family } }) };
 */
export interface OutputSpec<P = unknown> {
  type: PortType | Bivariant<{ params: P; inputTypes: Record<string, PortType[]> }, PortType>;
  label?: string;
  description?: string;
}

/**
 * One connection's value on a `multiple` input, with its settings as the input's `settings` schema
 * parsed them (defaults applied).
 *
 * @example
 * for (const { value, settings } of ctx.inputs.loras) use(value.id, settings.scale);
 */
export interface InputItem<V = unknown, S = Record<string, unknown>> {
  value: V;
  settings: S;
}

/**
 * The value type an input spec's port type carries (from its `PortType<V>`, or what its type function returns).
 *
 * @example
 * type L = InputValue<{ type: PortType<LoraValue> }>; // LoraValue
 */
export type InputValue<Spec> = Spec extends { type: infer T }
  ? T extends (...args: never[]) => infer R
    ? PortValue<R>
    : PortValue<T>
  : unknown;

/**
 * The parsed settings of one connection into an input: its `settings` schema's output, or a plain record.
 *
 * @example
 * type S = InputSettings<{ type: PortType; settings: z.ZodObject<{ scale: z.ZodNumber }> }>; // { scale: number }
 */
export type InputSettings<Spec> = Spec extends { settings: infer Z extends AnySchema }
  ? z.output<Z>
  : Record<string, unknown>;

/**
 * What `run` receives for its inputs, typed from the declared ports: a value per single input
 * (`undefined` when an optional one is not connected), a list of items per multiple input.
 *
 * @example
 * type V = InputValues<{ a: { type: PortType<number> }; list: { type: PortType<string>; multiple: true } }>;
 * // { a: number; list: InputItem<string>[] }
 */
export type InputValues<I> = {
  [K in keyof I]: I[K] extends { multiple: true }
    ? InputItem<InputValue<I[K]>, InputSettings<I[K]>>[]
    : I[K] extends { optional: true }
      ? InputValue<I[K]> | undefined
      : InputValue<I[K]>;
};

/**
 * What `resources` and `estimate` know of a node's connections before it runs: the type of every
 * connection per input (a LoRA's provider and base family are known before the LoRA exists) and
 * each connection's settings, parsed as `run` receives them.
 *
 * @example
 * resources: (p, { inputTypes }) => inputTypes.loras?.some((t) => t.params?.provider === 'modelslab') ? ['provider:modelslab'] : []
 */
export interface PortFacts {
  inputTypes: Record<string, PortType[]>;
  inputSettings: Record<string, Array<Record<string, unknown>>>;
}

/**
 * A logger for node code; every line is redacted before anyone sees it.
 *
 * @example
 * ctx.log.info('uploading', { files: 12 });
 */
export interface NodeLogger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/**
 * A side effect recorded in the journal: `intent` before `perform`, the result after.
 *
 * @example
 * await ctx.effect('create', { intent: { name }, perform: () => api.create(name), reconcile: () => api.find(name) });
 */
export interface EffectSpec<T extends JsonValue> {
  intent: JsonValue;
  perform(): Promise<T>;
  /** After a crash between intent and result: find what the first attempt created, or undefined to perform again. */
  reconcile?(intent: JsonValue): Promise<T | undefined>;
  /**
   * Whether a recorded (or reconciled) result still stands for work that can be used: `false` for
   * one whose outcome was cancelled, failed or timed out (a training cancelled since), which is then
   * performed again instead of returned. `intent` is the one recorded with it.
   */
  valid?(result: T, intent: JsonValue): boolean | Promise<boolean>;
}

/**
 * What a node's `run` receives.
 *
 * @example
 * async run(ctx) { ctx.progress(0.5, 'half way'); return { out: ctx.params.text }; }
 */
export interface NodeContext<P = unknown, I = Record<string, InputSpec>> {
  nodeId: string;
  runId: string;
  key: string;
  params: P;
  inputs: InputValues<I>;
  signal: HostAbortSignal;
  progress(fraction: number, message?: string, detail?: Record<string, number>): void;
  log: NodeLogger;
  services: { get<T>(name: string): T; has(name: string): boolean };
  blobs: {
    put(bytes: Uint8Array, mime: string): Promise<BlobRef>;
    get(ref: BlobRef): Promise<Uint8Array | undefined>;
  };
  effect<T extends JsonValue>(name: string, spec: EffectSpec<T>): Promise<T>;
}

/**
 * A cost estimate for a node that will run.
 *
 * @example
 * async estimate({ params }) { return { amount: params.samples * 0.01, unit: 'USD' }; }
 */
export interface Estimate {
  amount: number;
  unit: string;
  detail?: Record<string, number>;
}

/**
 * A rule problem a definition's `validate` reports beyond its params schema.
 *
 * @example
 * validate: ({ inputTypes }) => inputTypes.loras?.length ? [] : [{ code: 'compose.empty', message: 'add at least one LoRA.' }]
 */
export interface RuleProblem {
  code: string;
  message: string;
  /** Relative to the node, or to the edge named by `connection`. */
  path?: (string | number)[];
  /** The connection the problem is about: the `index`-th edge into input `port` (its issue then points at that edge). */
  connection?: { port: string; index: number };
}

/**
 * A definition's `resources` as a function of its parsed params and its connections.
 *
 * @example
 * const resources: ResourcesFn<{ provider: string }> = (p) => [`provider:${p.provider}`];
 */
export type ResourcesFn<P> = Bivariant2<P, PortFacts, string[]>;
type Bivariant2<A, B, R> = { fn(a: A, b: B): R }['fn'];

/**
 * What an `estimate` hook receives (see {@link NodeDefinition.estimate}).
 *
 * @example
 * async estimate({ params, inputs, inputTypes, services }: EstimateArgs<P, I>) { ... }
 */
export interface EstimateArgs<P = unknown, I = Record<string, InputSpec>> extends PortFacts {
  params: P;
  /** Upstream values already cached, shaped as `ctx.inputs`; an input whose values are not all known is absent. */
  inputs: Partial<InputValues<I>>;
  services: { get<T>(name: string): T; has(name: string): boolean };
}

/**
 * A node type. Everything the engine needs is declared here; the engine never switches on `type`.
 *
 * @example
 * const add = defineNode({ type: 'math.add', version: 1, params: z.object({}),
 *   inputs: { a: { type: t.number() }, b: { type: t.number() } }, outputs: { sum: { type: t.number() } },
 *   async run({ inputs }) { return { sum: inputs.a + inputs.b }; } });
 */
export interface NodeDefinition<
  S extends AnySchema = AnySchema,
  I extends Record<string, InputSpec<z.output<S>>> = Record<string, InputSpec<z.output<S>>>,
  O extends Record<string, OutputSpec<z.output<S>>> = Record<string, OutputSpec<z.output<S>>>,
> {
  type: string;
  version: number;
  title?: string;
  category?: string;
  description?: string;
  params: S;
  inputs?: I;
  outputs: O;
  cache?: CachePolicy | Bivariant<z.output<S>, CachePolicy>;
  sideEffects?: boolean;
  /**
   * Named slots the node holds while it runs (`limits` caps each); a function sees the parsed params
   * and what is known of the connections, so a node names only the provider it will use.
   */
  resources?: string[] | ResourcesFn<z.output<S>>;
  /**
   * Services whose account this node's results belong to (a model trained in one Scenario project
   * does not exist in another). Each named service may offer `cacheScope(hash)`, a digest naming
   * its account (see {@link ScopedService}); it becomes part of the node's cache key, so a result
   * made with one account is never reused with another, and everything downstream follows.
   */
  scope?: readonly string[] | Bivariant<z.output<S>, readonly string[]>;
  /** Rules across params and connections, checked before anything runs; `inputSettings` are each connection's settings, parallel to `inputTypes`. */
  validate?: Bivariant<
    {
      params: z.output<S>;
      inputTypes: Record<string, PortType[]>;
      inputSettings: Record<string, Array<Record<string, unknown>>>;
    },
    RuleProblem[]
  >;
  /**
   * Cost of running this node; `services` are the host's, so a hook can ask a provider for a dry run.
   * `params` are parsed as `run` gets them; `inputs` hold only what upstream already has in the
   * cache, shaped as `ctx.inputs` (settings parsed); `inputTypes`/`inputSettings` describe every
   * connection. Answer `undefined` when the cost cannot be known: the estimate then says "unknown", not "free".
   */
  estimate?: Bivariant<EstimateArgs<z.output<S>, I>, Promise<Estimate | undefined>>;
  run: Bivariant<NodeContext<z.output<S>, I>, Promise<{ [K in keyof O]: OutputValue<O[K]> }>>;
  /**
   * Asked before a cached result of a node with side effects is reused: `false` when the remote
   * work it points to can no longer be used (a training cancelled or failed since), which makes the
   * entry a miss so the node runs again. A hook that throws keeps the entry (a network blip is no
   * evidence the work was lost).
   */
  reusable?: Bivariant<
    {
      outputs: Record<string, unknown>;
      services: { get<T>(name: string): T; has(name: string): boolean };
      signal: HostAbortSignal;
    },
    Promise<boolean>
  >;
}

/**
 * The value type an output spec's port type carries; `run` must return it.
 *
 * @example
 * type V = OutputValue<{ type: PortType<number> }>; // number
 */
export type OutputValue<Spec> = InputValue<Spec>;

/**
 * What a service offers to scope cache keys by account: a digest computed with the engine's hash,
 * never a secret itself (a client hashes its credentials; nothing is kept).
 *
 * @example
 * const client = { cacheScope: (hash: HashFn) => hash(`scenario\n${apiKey}\n${projectId ?? ''}`) };
 */
export interface ScopedService {
  cacheScope(hash: (text: string) => string): string;
}

/**
 * A node definition of any params and ports, as registries hold them.
 *
 * @example
 * const defs: AnyNodeDefinition[] = registry.nodes();
 */
export type AnyNodeDefinition = NodeDefinition<
  AnySchema,
  Record<string, InputSpec>,
  Record<string, OutputSpec>
>;

/**
 * Declares a node type; an identity function that exists for type inference.
 *
 * @example
 * export const text = defineNode({ type: 'text', version: 1, params: z.object({ value: z.string() }),
 *   outputs: { text: { type: t.string() } }, async run(ctx) { return { text: ctx.params.value }; } });
 */
export function defineNode<
  S extends AnySchema,
  I extends Record<string, InputSpec<z.output<S>>> = Record<never, InputSpec<z.output<S>>>,
  O extends Record<string, OutputSpec<z.output<S>>> = Record<string, OutputSpec<z.output<S>>>,
>(definition: NodeDefinition<S, I, O>): NodeDefinition<S, I, O> {
  return definition;
}

/**
 * A node pack: a named set of node types and the port type kinds they use.
 *
 * @example
 * export const mathPack = definePack({ name: 'math', nodes: [add, constant] });
 */
export interface NodePack {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: a pack holds definitions of unrelated param types
  nodes: readonly NodeDefinition<any, any, any>[];
  types?: readonly TypeDefinition[];
}

/**
 * Declares a pack; an identity function that exists for type inference.
 *
 * @example
 * export const mathPack = definePack({ name: 'math', nodes: [add], types: [matrixType] });
 */
export function definePack<T extends NodePack>(pack: T): T {
  return pack;
}

/**
 * Node types and port types, looked up by name.
 *
 * @example
 * const registry: NodeRegistry = createRegistry(examplePack);
 * registry.get('example.add')?.title; // 'Add'
 */
export interface NodeRegistry {
  register(pack: NodePack): void;
  get(type: string): AnyNodeDefinition | undefined;
  nodes(): AnyNodeDefinition[];
  packs(): NodePack[];
  readonly types: TypeRegistry;
}

/**
 * A registry of node packs. Registering a node type twice throws one actionable sentence.
 *
 * @example
 * const registry = createRegistry(mathPack, loraPack);
 * registry.get('math.add');
 */
export function createRegistry(...packs: NodePack[]): NodeRegistry {
  const types = createTypeRegistry();
  const byType = new Map<string, AnyNodeDefinition>();
  const packList: NodePack[] = [];
  const registry: NodeRegistry = {
    types,
    get: (type) => byType.get(type),
    nodes: () => [...byType.values()],
    packs: () => [...packList],
    register(pack) {
      for (const definition of pack.nodes) {
        if (byType.has(definition.type) && byType.get(definition.type) !== definition) {
          throw new Error(
            `The node type "${definition.type}" from pack "${pack.name}" is already registered; rename one of them.`,
          );
        }
        if (!Number.isInteger(definition.version) || definition.version < 1) {
          throw new Error(`The node type "${definition.type}" needs an integer version of 1 or more.`);
        }
      }
      for (const type of pack.types ?? []) types.register(type);
      for (const definition of pack.nodes) byType.set(definition.type, definition as AnyNodeDefinition);
      packList.push(pack);
    },
  };
  for (const pack of packs) registry.register(pack);
  return registry;
}
