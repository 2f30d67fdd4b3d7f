import { z } from 'zod/mini';

// What the canvas needs of a params schema (its JSON Schema, which widget it gets), apart from the widgets
// themselves: those belong to the inspector, which loads on first use.

/**
 * A JSON Schema fragment, as zod's `toJSONSchema` writes a params schema.
 *
 * @example
 * const schema: JsonSchema = { type: 'number', minimum: 0, maximum: 1, widget: 'slider' };
 */
export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
  description?: string;
  title?: string;
  format?: string;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  /** A widget name set with zod's `.meta({ widget })`: 'slider', 'textarea', 'images', or a host's own. */
  widget?: string;
  [key: string]: unknown;
};

const jsonSchemaCache = new WeakMap<object, JsonSchema>();

/**
 * The JSON Schema of a zod schema (input side, defaults included), computed once per schema; what
 * `z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' })` answers on the fields the widgets read.
 *
 * @example
 * schemaOf(z.object({ scale: z.number().min(0).max(2).default(1) })).properties?.scale; // { type: 'number', minimum: 0, maximum: 2, default: 1 }
 */
export function schemaOf(schema: z.core.$ZodType | undefined): JsonSchema {
  if (!schema) return {};
  const cached = jsonSchemaCache.get(schema);
  if (cached) return cached;
  let json: JsonSchema;
  try {
    json = readSchema(schema, new Set());
  } catch {
    json = {};
  }
  jsonSchemaCache.set(schema, json);
  return json;
}

// Hand-written, not z.toJSONSchema: that carries every processor (~7 kB gzip up front); this reads the few
// definitions params use and answers {} (the json widget) for the rest. Equality held by json-schema.test.ts.

type Zod = z.core.$ZodType;
type Def = Record<string, unknown> & { type: string };
const defOf = (schema: Zod) => schema._zod.def as unknown as Def;

function readSchema(schema: Zod, path: Set<Zod>): JsonSchema {
  // a recursive schema (z.lazy) has no inline form; its inner use gets the json widget
  if (path.has(schema)) return {};
  path.add(schema);
  const def = defOf(schema);
  const wrapped = wrappedOf(schema, def);
  // a wrapper (optional, default, pipe…) is its inner schema plus what it adds, which wins
  const base = wrapped ? readSchema(wrapped, path) : {};
  const own = wrapped ? wrapperOwn(def) : readDef(schema, def, path);
  path.delete(schema);
  const { id: _id, ...meta } = z.globalRegistry.get(schema) ?? {};
  Object.assign(own, meta);
  // an input that is transformed has no default of its own to show (zod's rule); a prefault is one all the same
  if (transforms(schema, new Set())) {
    delete own.default;
    delete own.examples;
  }
  if (def.type === 'prefault' && own.default === undefined) setDefault(own, def.defaultValue);
  const json = { ...base, ...own };
  compactTypeUnion(json);
  return json;
}

/** The schema a wrapper wraps, as the input side sees it (a pipe's input, or its output after a transform). */
function wrappedOf(schema: Zod, def: Def): Zod | undefined {
  switch (def.type) {
    case 'optional':
    case 'nonoptional':
    case 'promise':
    case 'readonly':
    case 'default':
    case 'prefault':
    case 'catch':
      return def.innerType as Zod;
    case 'lazy':
      return (schema._zod as unknown as { innerType: Zod }).innerType;
    case 'pipe':
      return (def.in as Zod)._zod.traits.has('$ZodTransform') ? (def.out as Zod) : (def.in as Zod);
    default:
      return undefined;
  }
}

function wrapperOwn(def: Def): JsonSchema {
  const own: JsonSchema = {};
  if (def.type === 'readonly') own.readOnly = true;
  else if (def.type === 'default') setDefault(own, def.defaultValue);
  else if (def.type === 'catch') {
    try {
      setDefault(own, (def.catchValue as (ctx: unknown) => unknown)(undefined));
    } catch {
      // a catch value computed from the error has no JSON form
    }
  }
  return own;
}

/** A default as JSON would carry it (a BigInt one has no JSON form and is left out). */
function setDefault(json: JsonSchema, value: unknown): void {
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) json.default = JSON.parse(text);
  } catch {
    // no JSON form: no default shown
  }
}

/** Whether a schema transforms its input anywhere inside. */
function transforms(schema: Zod, seen: Set<Zod>): boolean {
  if (seen.has(schema)) return false;
  seen.add(schema);
  const def = defOf(schema);
  const any = (list: unknown[]) => list.some((s) => transforms(s as Zod, seen));
  switch (def.type) {
    case 'transform':
      return true;
    case 'pipe':
      return schema._zod.traits.has('$ZodCodec') || any([def.in, def.out]);
    case 'lazy':
      return any([(def.getter as () => Zod)()]);
    case 'array':
      return any([def.element]);
    case 'object':
      return any(Object.values(def.shape as object));
    case 'union':
      return any(def.options as Zod[]);
    case 'intersection':
      return any([def.left, def.right]);
    case 'record':
    case 'map':
      return any([def.keyType, def.valueType]);
    case 'set':
      return any([def.valueType]);
    case 'tuple':
      return any([...(def.items as Zod[]), ...(def.rest ? [def.rest] : [])]);
    default:
      return def.innerType !== undefined && any([def.innerType]);
  }
}

function readDef(schema: Zod, def: Def, path: Set<Zod>): JsonSchema {
  switch (def.type) {
    case 'string':
      return stringSchema(schema);
    case 'number':
      return numberSchema(schema);
    case 'boolean':
    case 'success':
      return { type: 'boolean' };
    case 'null':
      return { type: 'null' };
    case 'enum':
      return valuesSchema('enum', z.util.getEnumValues(def.entries as Record<string, string>));
    case 'literal':
      return valuesSchema('literal', def.values as unknown[]);
    case 'array':
      return { type: 'array', items: readSchema(def.element as Zod, path) };
    case 'object':
      return objectSchema(def.shape as Record<string, Zod>, path);
    case 'record':
      return recordSchema(def, path);
    case 'union': {
      const options = (def.options as Zod[]).map((o) => readSchema(o, path));
      return def.inclusive === false ? { oneOf: options } : { anyOf: options };
    }
    case 'nullable':
      return { anyOf: [readSchema(def.innerType as Zod, path), { type: 'null' }] };
    default:
      return {};
  }
}

type Bounds = {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  format?: string;
  lax?: boolean;
  patterns: Set<RegExp>;
};

type CheckDef = Def & {
  value: number;
  minimum: number;
  maximum: number;
  length: number;
  format: string;
  pattern?: RegExp;
};

/** A schema's checks folded into bounds and a format, as zod's JSON Schema writer folds them (tightest wins). */
function boundsOf(schema: Zod): Bounds {
  const own = (defOf(schema).checks as Zod[] | undefined) ?? [];
  // a format schema (`z.int()`, `z.email()`) is its own first check
  const checks = schema._zod.traits.has('$ZodCheck') ? [schema, ...own] : own;
  const b: Bounds = { patterns: new Set() };
  const low = (key: 'minimum' | 'exclusiveMinimum', v: number) => {
    if (b[key] === undefined || v > b[key]) b[key] = v;
  };
  const high = (key: 'maximum' | 'exclusiveMaximum', v: number) => {
    if (b[key] === undefined || v < b[key]) b[key] = v;
  };
  for (const check of checks) {
    const c = defOf(check) as CheckDef;
    if (c.check === 'greater_than') low(c.inclusive ? 'minimum' : 'exclusiveMinimum', c.value);
    else if (c.check === 'less_than') high(c.inclusive ? 'maximum' : 'exclusiveMaximum', c.value);
    else if (c.check === 'min_length') low('minimum', c.minimum);
    else if (c.check === 'max_length') high('maximum', c.maximum);
    else if (c.check === 'length_equals') {
      low('minimum', c.length);
      high('maximum', c.length);
    } else if (c.check === 'multiple_of') {
      if (b.multipleOf === undefined && Number.isFinite(c.value) && c.value !== 0)
        b.multipleOf = Math.abs(c.value);
    } else if (c.check === 'number_format') {
      b.format = c.format;
      const [min, max] = z.util.NUMBER_FORMAT_RANGES[c.format as 'safeint'];
      low('minimum', min);
      high('maximum', max);
    } else if (c.check === 'string_format') {
      b.format = c.format;
      if (c.pattern) b.patterns.add(c.pattern);
      if (c.local || c.precision === -1) b.lax = true;
    }
  }
  return b;
}

const FORMATS: Record<string, string> = {
  guid: 'uuid',
  url: 'uri',
  datetime: 'date-time',
  json_string: 'json-string',
};

function stringSchema(schema: Zod): JsonSchema {
  const b = boundsOf(schema);
  const json: JsonSchema = { type: 'string' };
  if (b.minimum !== undefined) json.minLength = b.minimum;
  if (b.maximum !== undefined) json.maxLength = b.maximum;
  if (b.format && b.format !== 'regex' && b.format !== 'time' && !b.lax)
    json.format = FORMATS[b.format] ?? b.format;
  // no widget reads a pattern, but one keeps `string | null` from folding into a `type` list, as in zod's output
  const patterns = [...b.patterns];
  if (patterns.length === 1) json.pattern = patterns[0]!.source;
  else if (patterns.length > 1) json.allOf = patterns.map((p) => ({ pattern: p.source }));
  return json;
}

function numberSchema(schema: Zod): JsonSchema {
  const {
    minimum,
    maximum,
    exclusiveMinimum: exMin,
    exclusiveMaximum: exMax,
    format,
    multipleOf,
  } = boundsOf(schema);
  const json: JsonSchema = { type: format?.includes('int') ? 'integer' : 'number' };
  // both kinds of bound given: the tighter one is the one that holds
  if (exMin !== undefined && exMin >= (minimum ?? Number.NEGATIVE_INFINITY)) json.exclusiveMinimum = exMin;
  else if (minimum !== undefined) json.minimum = minimum;
  if (exMax !== undefined && exMax <= (maximum ?? Number.POSITIVE_INFINITY)) json.exclusiveMaximum = exMax;
  else if (maximum !== undefined) json.maximum = maximum;
  if (multipleOf !== undefined) json.multipleOf = multipleOf;
  return json;
}

function valuesSchema(kind: string, raw: unknown[]): JsonSchema {
  const values = raw.flatMap((v) => (v === undefined ? [] : [typeof v === 'bigint' ? Number(v) : v]));
  if (raw.length === 0) return { not: {} };
  if (kind === 'literal' && values.length === 1) {
    const value = values[0];
    return { type: value === null ? 'null' : typeof value, const: value };
  }
  if (values.length === 0) return {};
  const json: JsonSchema = {};
  for (const type of ['number', 'string', 'boolean', 'null'] as const) {
    if (kind === 'enum' && (type === 'boolean' || type === 'null')) continue;
    if (values.every((v) => (v === null ? 'null' : typeof v) === type)) json.type = type;
  }
  json.enum = values;
  return json;
}

/** Whether a key may be left out of the input: a transform or catch in front does not make it optional. */
function inputOptional(schema: Zod): boolean {
  const def = defOf(schema);
  if (def.type === 'pipe' && (def.in as Zod)._zod.traits.has('$ZodTransform'))
    return inputOptional(def.out as Zod);
  if (def.type === 'catch') return inputOptional(def.innerType as Zod);
  return schema._zod.optin !== undefined;
}

function objectSchema(shape: Record<string, Zod>, path: Set<Zod>): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const key of Object.keys(shape)) {
    const field = shape[key]!;
    Object.defineProperty(properties, key, {
      value: readSchema(field, path),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    if (!inputOptional(field)) required.push(key);
  }
  return required.length > 0 ? { type: 'object', properties, required } : { type: 'object', properties };
}

function recordSchema(def: Def, path: Set<Zod>): JsonSchema {
  const json: JsonSchema = { type: 'object', additionalProperties: readSchema(def.valueType as Zod, path) };
  const keys = (def.keyType as Zod)._zod.values;
  if (keys && !def.partial && !inputOptional(def.valueType as Zod)) {
    const named = [...keys].filter((k) => typeof k === 'string' || typeof k === 'number');
    if (named.length > 0) json.required = named.map(String);
  }
  return json;
}

/** `anyOf` of bare types becomes one `type` list, as zod writes `string | null`. */
function compactTypeUnion(json: JsonSchema): void {
  const options = json.anyOf;
  if (!options || options.length === 0 || json.type !== undefined) return;
  const types: string[] = [];
  for (const option of options) {
    const keys = Object.keys(option);
    if (keys.length !== 1 || keys[0] !== 'type') return;
    for (const t of Array.isArray(option.type) ? option.type : [option.type]) {
      if (typeof t !== 'string') return;
      if (!types.includes(t)) types.push(t);
    }
  }
  delete json.anyOf;
  json.type = types.length === 1 ? types[0]! : types;
}

/** Removes a `null` alternative (an optional or nullable field) to find the schema that matters. */
export function unwrap(schema: JsonSchema): JsonSchema {
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts) {
    const real = alts.filter((a) => a.type !== 'null');
    if (real.length === 1) return { ...real[0], ...pick(schema) };
  }
  return schema;
}

function pick(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const key of ['default', 'description', 'title', 'widget'] as const) {
    if (schema[key] !== undefined) Object.assign(out, { [key]: schema[key] });
  }
  return out;
}

/** A number schema's range, whether its ends are inclusive or exclusive. */
export function bounds(schema: JsonSchema): { min: number | undefined; max: number | undefined } {
  return {
    min: schema.minimum ?? schema.exclusiveMinimum,
    max: schema.maximum ?? schema.exclusiveMaximum,
  };
}

/** Which built-in widget a schema gets. */
export function builtinWidgetName(name: string, schema: JsonSchema): string {
  if (schema.widget) return schema.widget;
  if (schema.enum) return 'select';
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'number' || type === 'integer') {
    if (name === 'seed' && type === 'integer') return 'seed';
    const { min, max } = bounds(schema);
    return min !== undefined && max !== undefined ? 'slider' : 'number';
  }
  if (type === 'boolean') return 'checkbox';
  if (type === 'string') {
    if (/prompt|description|caption|text/i.test(name) || (schema.maxLength ?? 0) > 200) return 'textarea';
    return 'text';
  }
  if (type === 'array' && schema.items) {
    const itemType = schema.items.type;
    if (itemType === 'string' && (/image|url/i.test(name) || schema.items.format === 'uri')) return 'images';
    if (itemType === 'string') return 'lines';
    if (isImageSourceSchema(schema.items)) return 'images';
  }
  return 'json';
}

/** Whether array items are image sources as objects (`{ url }`, `{ dataUrl }`, `{ file }`), e.g. a training set. */
export function isImageSourceSchema(items: JsonSchema): boolean {
  const alts = items.anyOf ?? items.oneOf ?? [items];
  return alts.some(
    (a) => a.type === 'object' && (a.properties?.url !== undefined || a.properties?.dataUrl !== undefined),
  );
}
