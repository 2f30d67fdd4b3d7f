import { type JsonSchema, unwrap } from './components/json-schema';

/**
 * One parameter of a params schema as a person sees it: a title, a unit, help, and whether it folds away.
 *
 * @example
 * const [width] = paramFields(schemaOf(def.params)); width?.title; // 'Width'
 */
export interface ParamField {
  name: string;
  /** `.meta({ title })`, else the key in words (`negativePrompt` → "Negative prompt"). */
  title: string;
  /** `.meta({ unit })`, else read from the key (`timeoutMinutes` → "min") or the help ("in pixels" → "px"). */
  unit: string | undefined;
  /** `.describe(...)`. */
  help: string | undefined;
  /** `.meta({ advanced: true })`, or an optional number with no default, or a duration: folded away. */
  advanced: boolean;
  /** The value may be left unset (no default fills it). */
  clearable: boolean;
  schema: JsonSchema;
}

const ACRONYMS = new Set(['id', 'url', 'lora', 'uri', 'api']);

/**
 * A camelCase or snake_case key in words, first letter capital, acronyms kept upper.
 *
 * @example
 * humanise('baseModelId'); // 'Base model ID'
 */
export function humanise(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .split(/\s+/)
    .map((w) => (ACRONYMS.has(w.toLowerCase()) ? w.toUpperCase() : w.toLowerCase()));
  const text = words.join(' ').replace(/\bLORA\b/g, 'LoRA');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// key suffix → unit, the suffix then dropped from the title ("timeoutMinutes" → "Timeout", min)
const UNIT_SUFFIXES: ReadonlyArray<[RegExp, string]> = [
  [/(.+?)Minutes$/, 'min'],
  [/(.+?)Seconds$/, 's'],
  [/(.+?)Ms$/, 'ms'],
  [/(.+?)Px$/, 'px'],
];

function isNumber(schema: JsonSchema): boolean {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  return type === 'number' || type === 'integer';
}

const fieldsCache = new WeakMap<JsonSchema, ParamField[]>();

/**
 * The fields of a params JSON Schema (zod's `toJSONSchema`, input side), in declaration order.
 *
 * @example
 * paramFields(schemaOf(z.object({ timeoutMinutes: z.number().default(10) })))[0]; // { title: 'Timeout', unit: 'min', advanced: true, … }
 */
export function paramFields(schema: JsonSchema): ParamField[] {
  const cached = fieldsCache.get(schema);
  if (cached) return cached;
  const fields = readFields(schema);
  fieldsCache.set(schema, fields);
  return fields;
}

function readFields(schema: JsonSchema): ParamField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, raw]) => {
    const s = unwrap(raw);
    let title = typeof s.title === 'string' ? s.title : undefined;
    let unit = typeof s.unit === 'string' ? s.unit : undefined;
    for (const [pattern, u] of UNIT_SUFFIXES) {
      const m = pattern.exec(name);
      if (m?.[1]) {
        title ??= humanise(m[1]);
        unit ??= u;
        break;
      }
    }
    if (unit === undefined && isNumber(s) && /\bin pixels\b/i.test(s.description ?? '')) unit = 'px';
    const hasDefault = s.default !== undefined;
    const clearable = !required.has(name) && !hasDefault;
    const duration = unit === 'min' || unit === 's' || unit === 'ms';
    const advanced =
      typeof s.advanced === 'boolean'
        ? s.advanced
        : name !== 'seed' && ((isNumber(s) && clearable) || (duration && hasDefault));
    return {
      name,
      title: title ?? humanise(name),
      unit,
      help: s.description,
      advanced,
      clearable,
      schema: s,
    };
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The params a node added from the palette starts with, so that it starts valid where the schema allows:
 * every default, then the schema's first `examples` entry (`.meta({ examples: [{ … }] })` on the params
 * object), then for each required param still missing its own first example, its first enum value, or for
 * a text the node type's title.
 *
 * @example
 * starterParams(z.object({ name: z.string().min(1), timeoutMinutes: z.number().default(30) }), 'Compose LoRAs');
 * // { timeoutMinutes: 30, name: 'Compose LoRAs' }
 */
export function starterParams(json: JsonSchema, title: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(json.properties ?? {})) {
    const d = unwrap(raw).default;
    if (d !== undefined) out[name] = structuredClone(d);
  }
  const example = Array.isArray(json.examples) ? json.examples[0] : undefined;
  if (isRecord(example)) Object.assign(out, structuredClone(example));
  for (const name of json.required ?? []) {
    if (out[name] !== undefined) continue;
    const s = unwrap(json.properties?.[name] ?? {});
    const own = Array.isArray(s.examples) ? s.examples[0] : undefined;
    const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
    if (own !== undefined) out[name] = structuredClone(own);
    else if (s.enum && s.enum.length > 0) out[name] = s.enum[0];
    else if (type === 'string') out[name] = title.slice(0, s.maxLength ?? title.length);
    else if (type === 'number' || type === 'integer') out[name] = s.minimum ?? 0;
    else if (type === 'boolean') out[name] = false;
  }
  return out;
}
