import { canonicalJson } from './hash';
import { ISSUE_CODES } from './issues';
import type { JsonValue } from './json';

/**
 * The type of a port: a kind plus optional parameters (e.g. `{ kind: 'lora', params: { family: 'flux.1' } }`).
 *
 * @example
 * const t: PortType = { kind: 'list', params: { of: { kind: 'string' } } };
 */
export interface PortType {
  kind: string;
  params?: Readonly<Record<string, JsonValue>>;
}

/**
 * How a kind of port type behaves: its label, and optionally which types it accepts as input.
 * `accepts(to, from)` is asked when `to` has this kind; it returns `true` or a reason sentence.
 *
 * @example
 * defineType({ kind: 'lora', label: (t) => `LoRA (${t.params?.family})`,
 *   accepts: (to, from) => from.kind === 'lora' && from.params?.family === to.params?.family || 'the base families differ' });
 */
export interface TypeDefinition {
  kind: string;
  label?(type: PortType, types: TypeRegistry): string;
  accepts?(to: PortType, from: PortType, types: TypeRegistry): true | string;
  description?: string;
}

/**
 * Declares a port type kind; an identity function that exists for type inference.
 *
 * @example
 * export const textType = defineType({ kind: 'text', label: () => 'Text' });
 */
export function defineType<T extends TypeDefinition>(definition: T): T {
  return definition;
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
  defineType({ kind: 'string', label: () => 'Text' }),
  defineType({ kind: 'number', label: () => 'Number' }),
  defineType({ kind: 'boolean', label: () => 'Yes/No' }),
  defineType({ kind: 'json', label: () => 'JSON' }),
  defineType({
    kind: 'list',
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
  string: (): PortType => ({ kind: 'string' }),
  number: (): PortType => ({ kind: 'number' }),
  boolean: (): PortType => ({ kind: 'boolean' }),
  json: (): PortType => ({ kind: 'json' }),
  list: (of: PortType): PortType => ({ kind: 'list', params: { of: of as unknown as JsonValue } }),
};
