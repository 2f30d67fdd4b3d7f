import { z } from 'zod/mini';
import { canonicalJson } from './hash';
import { ISSUE_CODES } from './issues';
import { isJsonValue, type JsonValue } from './json';
import { type AnySchema, parseSchema } from './parse-schema';

// A key that exists in types only: it carries a port type's value type, and no object ever has it.
declare const portValue: unique symbol;

/**
 * The type of a port: a kind plus optional parameters (e.g. `{ kind: 'lora', params: { family: 'flux.1' } }`).
 * `V` is the value a port of this type carries, for TypeScript only: a definition whose port is
 * declared with a `PortType<LoraValue>` gets `ctx.inputs.lora` typed `LoraValue`.
 *
 * @example
 * const t: PortType<string[]> = { kind: 'list', params: { of: { kind: 'string' } } };
 */
export interface PortType<V = unknown> {
  kind: string;
  params?: Readonly<Record<string, JsonValue>>;
  /** Never present at run time: the type of the value this port carries. */
  readonly [portValue]?: V;
}

/**
 * The value type a port type carries (`unknown` for an untyped one).
 *
 * @example
 * type N = PortValue<PortType<number>>; // number
 */
export type PortValue<T> = T extends { readonly [portValue]?: infer V } ? V : unknown;

/**
 * How a kind of port type behaves: its label, which types it accepts as input, and the values it
 * carries. `accepts(to, from)` is asked when `to` has this kind; it returns `true` or a reason sentence.
 * `value` is the zod schema of what travels on a port of this kind (or a function of the port type
 * giving one, as `list` checks its items by `of`): the engine checks every output against it, and
 * against the type of each input it feeds, before a consumer sees it. A schema checks, it does not
 * convert: the consumer receives the value as produced, so use no transforms or defaults in it.
 *
 * @example
 * defineType({ kind: 'lora', value: z.object({ id: z.string(), family: z.string() }),
 *   label: (t) => `LoRA (${t.params?.family})`,
 *   accepts: (to, from) => from.kind === 'lora' && from.params?.family === to.params?.family || 'the base families differ' });
 */
export interface TypeDefinition<V = unknown> {
  kind: string;
  label?(type: PortType, types: TypeRegistry): string;
  accepts?(to: PortType, from: PortType, types: TypeRegistry): true | string;
  description?: string;
  value?: AnySchema<V> | ((type: PortType, types: TypeRegistry) => AnySchema | undefined);
}

/**
 * Declares a port type kind; an identity function that exists for type inference.
 *
 * @example
 * export const textType = defineType({ kind: 'text', label: () => 'Text', value: z.string() });
 */
export function defineType<T extends TypeDefinition>(definition: T): T {
  return definition;
}

/**
 * A port type of a kind whose values are `V` (for a pack's helpers: `loraType(...)` is a
 * `PortType<LoraValue>`, so an input declared with it is typed).
 *
 * @example
 * const lora = portType<LoraValue>('lora', { family: 'flux.1' });
 */
export function portType<V>(kind: string, params?: Readonly<Record<string, JsonValue>>): PortType<V> {
  return params === undefined ? { kind } : { kind, params };
}

/**
 * Where kinds are looked up.
 *
 * @example
 * registry.types.get('lora')?.label?.({ kind: 'lora' }, registry.types);
 */
export interface TypeRegistry {
  get(kind: string): TypeDefinition | undefined;
  register(definition: TypeDefinition): void;
  kinds(): string[];
}

/**
 * The built-in kinds: `any`, `string`, `number`, `boolean`, `json`, and `list` (param `of`).
 *
 * @example
 * const t = createTypeRegistry(BUILTIN_TYPES);
 */
export const BUILTIN_TYPES: readonly TypeDefinition[] = [
  defineType({ kind: 'any', label: () => 'Any', accepts: () => true }),
  defineType({ kind: 'string', label: () => 'Text', value: z.string() }),
  defineType({ kind: 'number', label: () => 'Number', value: z.number() }),
  defineType({ kind: 'boolean', label: () => 'Yes/No', value: z.boolean() }),
  // every output is checked to be plain JSON already: `json` adds nothing to that
  defineType({ kind: 'json', label: () => 'JSON' }),
  defineType({
    kind: 'list',
    value: (t, types) => {
      const of = asPortType(t.params?.of);
      const item = of ? valueSchemaOf(of, types) : undefined;
      return item ? z.array(item) : z.array(z.unknown());
    },
    label: (t, types) => {
      const of = asPortType(t.params?.of);
      return `List of ${of ? typeLabel(of, types) : 'anything'}`;
    },
    accepts: (to, from, types) => {
      if (from.kind !== 'list') return `a ${typeLabel(to, types)} input needs a list`;
      const toOf = asPortType(to.params?.of);
      const fromOf = asPortType(from.params?.of);
      if (!toOf) return true;
      if (!fromOf) return 'the list carries items of no declared type';
      const inner = canConnect(fromOf, toOf, types);
      return inner.ok ? true : inner.reason;
    },
  }),
];

/**
 * A type registry holding the built-in kinds plus `definitions`. Registering a kind twice throws.
 *
 * @example
 * const types = createTypeRegistry([loraType]);
 * types.get('lora');
 */
export function createTypeRegistry(definitions: readonly TypeDefinition[] = []): TypeRegistry {
  const byKind = new Map<string, TypeDefinition>();
  const registry: TypeRegistry = {
    get: (kind) => byKind.get(kind),
    kinds: () => [...byKind.keys()],
    register(definition) {
      const existing = byKind.get(definition.kind);
      if (existing && existing !== definition) {
        throw new Error(
          `The port type kind "${definition.kind}" is registered twice; give one of them another kind.`,
        );
      }
      byKind.set(definition.kind, definition);
    },
  };
  for (const d of BUILTIN_TYPES) registry.register(d);
  for (const d of definitions) registry.register(d);
  return registry;
}

/**
 * A port type's human label: its definition's `label`, or the kind and its params.
 *
 * @example
 * typeLabel({ kind: 'number' }, types); // 'Number'
 */
export function typeLabel(type: PortType, types: TypeRegistry): string {
  const def = types.get(type.kind);
  if (def?.label) {
    try {
      return def.label(type, types);
    } catch {
      // a label that throws should not hide the connection problem being reported
    }
  }
  const params = type.params && Object.keys(type.params).length > 0 ? ` ${safeJson(type.params)}` : '';
  return `${type.kind}${params}`;
}

// One shared answer: validation asks once per edge, so a fresh object each time is garbage.
const CONNECTS: { ok: true } = Object.freeze({ ok: true as const });

/**
 * The answer of `canConnect`.
 *
 * @example
 * const r: ConnectResult = canConnect(from, to, types);
 * if (!r.ok) showTooltip(r.reason);
 */
export type ConnectResult = { ok: true } | { ok: false; code: string; reason: string };

/**
 * Whether an output of type `from` may feed an input of type `to`: one function for the editor
 * (while dragging) and the engine (validation). The reason names both types.
 *
 * @example
 * canConnect({ kind: 'number' }, { kind: 'string' }, types);
 * // { ok: false, code: 'type.mismatch', reason: 'A Number output cannot connect to a Text input.' }
 */
export function canConnect(from: PortType, to: PortType, types: TypeRegistry): ConnectResult {
  const toDef = types.get(to.kind);
  const fromDef = types.get(from.kind);
  if (!toDef || !fromDef) {
    const unknown = toDef ? from.kind : to.kind;
    return {
      ok: false,
      code: ISSUE_CODES.typeUnknown,
      reason: `The port type "${unknown}" is not registered.`,
    };
  }
  if (from.kind === 'any') return CONNECTS;
  if (toDef.accepts) {
    let answer: true | string;
    try {
      answer = toDef.accepts(to, from, types);
    } catch (error) {
      answer = `the type check failed (${error instanceof Error ? error.message : String(error)})`;
    }
    if (answer === true) return CONNECTS;
    return {
      ok: false,
      code: ISSUE_CODES.typeIncompatible,
      reason: `A ${typeLabel(from, types)} output cannot connect to a ${typeLabel(to, types)} input: ${answer.replace(/\.$/, '')}.`,
    };
  }
  if (from.kind === to.kind && sameParams(from.params, to.params)) return CONNECTS;
  return {
    ok: false,
    code: ISSUE_CODES.typeMismatch,
    reason: `A ${typeLabel(from, types)} output cannot connect to a ${typeLabel(to, types)} input.`,
  };
}

function sameParams(a: PortType['params'], b: PortType['params']): boolean {
  const emptyA = !a || Object.keys(a).length === 0;
  const emptyB = !b || Object.keys(b).length === 0;
  if (emptyA || emptyB) return emptyA && emptyB;
  return safeJson(a) === safeJson(b);
}

function safeJson(value: unknown): string {
  try {
    return canonicalJson(value);
  } catch {
    return String(value);
  }
}

/**
 * Reads a PortType out of a JSON param (as `list` keeps its item type), or undefined.
 *
 * @example
 * asPortType({ kind: 'number' }); // { kind: 'number' }
 */
export function asPortType(value: unknown): PortType | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== 'string') return undefined;
  return value as PortType;
}

/**
 * Shorthand constructors for built-in port types.
 *
 * @example
 * const inputs = { names: { type: t.list(t.string()) } };
 */
export const t = {
  any: (): PortType => ({ kind: 'any' }),
  string: (): PortType<string> => ({ kind: 'string' }),
  number: (): PortType<number> => ({ kind: 'number' }),
  boolean: (): PortType<boolean> => ({ kind: 'boolean' }),
  json: (): PortType => ({ kind: 'json' }),
  list: <V>(of: PortType<V>): PortType<V[]> => ({ kind: 'list', params: { of: of as unknown as JsonValue } }),
};

// schemas made by a kind's function, per port type object (fixed types are shared objects)
const madeSchemas = new WeakMap<PortType, AnySchema | null>();

/**
 * The zod schema of the values a port type carries, from its kind's `value`; undefined when the
 * kind declares none (or is not registered). A function's answer is kept per port type object.
 *
 * @example
 * valueSchemaOf(t.list(t.number()), types)?.safeParse([1, 2]).success; // true
 */
export function valueSchemaOf(type: PortType, types: TypeRegistry): AnySchema | undefined {
  const value = types.get(type.kind)?.value;
  if (value === undefined || typeof value !== 'function') return value;
  const known = madeSchemas.get(type);
  if (known !== undefined) return known ?? undefined;
  const made = value(type, types);
  madeSchemas.set(type, made ?? null);
  return made;
}

/**
 * Checks a value against a port type's schema: `true`, or a sentence naming the first problem
 * and where in the value it is. Values of kinds without a schema pass if they are plain JSON.
 *
 * @example
 * checkPortValue(t.number(), 'seven', types); // 'expected number, received string'
 */
export function checkPortValue(type: PortType, value: unknown, types: TypeRegistry): true | string {
  const schema = valueSchemaOf(type, types);
  if (!schema) return isJsonValue(value) ? true : 'it is not plain JSON';
  const parsed = parseSchema(schema, value);
  if (parsed.success) return true;
  const first = parsed.error.issues[0];
  const where = first && first.path.length > 0 ? ` at ${first.path.map(String).join('.')}` : '';
  return `${first?.message.replace(/\.$/, '') ?? 'wrong shape'}${where}`;
}
