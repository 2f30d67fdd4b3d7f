import { z } from 'zod';

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

/** The JSON Schema of a zod schema (input side, defaults included), computed once per schema. */
export function schemaOf(schema: z.ZodType | undefined): JsonSchema {
  if (!schema) return {};
  const cached = jsonSchemaCache.get(schema);
  if (cached) return cached;
  let json: JsonSchema;
  try {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  } catch {
    json = {};
  }
  jsonSchemaCache.set(schema, json);
  return json;
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
