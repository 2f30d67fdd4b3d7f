import { loraPackDefinitions } from '@loraflow/nodes/definitions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as zm from 'zod/mini';
import { type JsonSchema, schemaOf } from './json-schema';

type Schema = z.core.$ZodType;

// The keys the widgets and params.ts read of a params JSON Schema; the rest (pattern, $schema, minItems…) nobody reads.
const READ = [
  'type',
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'default',
  'description',
  'title',
  'format',
  'widget',
  'unit',
  'advanced',
  'examples',
  'required',
] as const;

// as JSON: a JSON Schema is JSON, where -0 and 0 are one number
const read = (json: JsonSchema | undefined): unknown => JSON.parse(JSON.stringify(readKeys(json) ?? null));

function readKeys(json: JsonSchema | undefined): unknown {
  if (json === undefined || typeof json !== 'object') return json;
  const out: Record<string, unknown> = {};
  for (const key of READ) if (json[key] !== undefined) out[key] = json[key];
  if (json.items !== undefined) out.items = readKeys(json.items);
  if (json.properties) {
    out.properties = Object.fromEntries(Object.entries(json.properties).map(([k, v]) => [k, readKeys(v)]));
  }
  if (json.anyOf) out.anyOf = json.anyOf.map(readKeys);
  if (json.oneOf) out.oneOf = json.oneOf.map(readKeys);
  return out;
}

const zods = (schema: Schema) =>
  read(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema);

const packSchemas = loraPackDefinitions.nodes.flatMap((def) => [
  [`${def.type} params`, def.params] as const,
  ...Object.entries(def.inputs ?? {}).flatMap(([name, input]) => {
    const settings = (input as { settings?: Schema }).settings;
    return settings ? [[`${def.type} input ${name} settings`, settings] as const] : [];
  }),
]);

const text = fc.string({ maxLength: 6 });
const num = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
const meta = fc.record(
  {
    title: text,
    description: text,
    widget: fc.constantFrom('slider', 'textarea', 'images'),
    unit: fc.constantFrom('px', 'min'),
    advanced: fc.boolean(),
  },
  { requiredKeys: [] },
);

// Leaves in classic and mini spellings alike: the reader reads zod's core definitions, which both share.
const leaf: fc.Arbitrary<Schema> = fc.oneof(
  fc.tuple(fc.option(fc.nat(9)), fc.option(fc.nat(99)), fc.boolean()).map(([min, max, mini]) => {
    if (mini) {
      const checks = [
        ...(min === null ? [] : [zm.minLength(min)]),
        ...(max === null ? [] : [zm.maxLength(max)]),
      ];
      return zm.string().check(...checks);
    }
    let s = z.string();
    if (min !== null) s = s.min(min);
    if (max !== null) s = s.max(max);
    return s;
  }),
  fc.constantFrom<Schema>(
    z.email(),
    zm.url(),
    z.string().url(),
    z.uuid(),
    zm.iso.datetime(),
    z.iso.datetime({ local: true }),
    z.iso.time(),
    z.string().regex(/a+/),
    z.boolean(),
    zm.boolean(),
    z.null(),
    z.unknown(),
    z.any(),
    z.int(),
    zm.int(),
    z.number().int().positive(),
    z.bigint(),
    z.date(),
    z.custom<string>((v) => typeof v === 'string'),
  ),
  fc
    .tuple(fc.option(num), fc.option(num), fc.boolean(), fc.boolean(), fc.boolean())
    .map(([min, max, exclusive, int, mini]) => {
      if (mini) {
        const checks = [
          ...(min === null ? [] : [exclusive ? zm.gt(min) : zm.gte(min)]),
          ...(max === null ? [] : [exclusive ? zm.lt(max) : zm.lte(max)]),
        ];
        return (int ? zm.int() : zm.number()).check(...checks);
      }
      let n = int ? z.number().int() : z.number();
      if (min !== null) n = exclusive ? n.gt(min) : n.min(min);
      if (max !== null) n = exclusive ? n.lt(max) : n.max(max);
      return n;
    }),
  fc
    .uniqueArray(text, { minLength: 1, maxLength: 4 })
    .map((values) => z.enum(values as [string, ...string[]])),
  fc
    .array(fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null)), { minLength: 1, maxLength: 3 })
    .map((values) => z.literal(values)),
  fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null)).map((value) => zm.literal(value)),
);

const schemaArb: fc.Arbitrary<Schema> = fc.letrec<{ schema: Schema }>((tie) => {
  const child = tie('schema') as fc.Arbitrary<Schema>;
  return {
    schema: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      child.map((s) => z.array(s as z.ZodType)),
      child.map((s) => zm.array(s)),
      fc
        .dictionary(fc.string({ minLength: 1, maxLength: 5 }), child, { maxKeys: 4 })
        .map((shape) => z.object(shape)),
      fc
        .dictionary(fc.string({ minLength: 1, maxLength: 5 }), child, { maxKeys: 4 })
        .map((shape) => zm.looseObject(shape)),
      fc.array(child, { minLength: 1, maxLength: 3 }).map((options) => z.union(options)),
      fc.array(child, { minLength: 1, maxLength: 3 }).map((options) => zm.union(options)),
      child.map((s) => z.nullable(s)),
      child.map((s) => z.optional(s)),
      child.map((s) => zm.optional(s)),
      fc.tuple(child, fc.jsonValue()).map(([s, d]) => z._default(s, d as never)),
      fc.tuple(child, fc.jsonValue()).map(([s, d]) => zm._default(s, d as never)),
      fc.tuple(child, fc.jsonValue()).map(([s, d]) => z.prefault(s, d as never)),
      fc.tuple(child, fc.jsonValue()).map(([s, d]) => zm.catch(s, d as never)),
      child.map((s) =>
        z.pipe(
          s,
          z.transform((v) => v),
        ),
      ),
      child.map((s) =>
        zm.pipe(
          zm.transform((v: unknown) => v),
          s,
        ),
      ),
      child.map((s) => z.record(z.string(), s)),
      child.map((s) => z.record(z.enum(['a', 'b']), s)),
      child.map((s) => z.lazy(() => s)),
      child.map((s) => z.readonly(s)),
      // classic's .meta(): a clone whose registry entry adds to its parent's
      fc.tuple(child, meta).map(([s, m]) => {
        const clone = zm.clone(s);
        z.globalRegistry.add(clone, m);
        return clone;
      }),
      // mini's: a check that registers the schema it lands on
      fc.tuple(child, meta).map(([s, m]) => (s as zm.ZodMiniType).check(zm.meta(m))),
      fc.tuple(child, text).map(([s, d]) => (s as zm.ZodMiniType).check(zm.describe(d))),
    ),
  };
}).schema;

describe('schemaOf reads zod schemas as z.toJSONSchema writes them, on what the widgets read', () => {
  it.each(packSchemas)('matches for the LoRA pack: %s', (_name, schema) => {
    expect(read(schemaOf(schema))).toEqual(zods(schema));
  });

  it('matches for classic and mini schemas of every kind params use', () => {
    fc.assert(
      fc.property(schemaArb, (schema) => {
        expect(read(schemaOf(schema))).toEqual(zods(schema));
      }),
      { numRuns: 500 },
    );
  });

  it('answers the json widget ({}) for what it does not read: a recursive schema inside, a transform, a missing schema', () => {
    type Tree = { children: Tree[] };
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ children: z.array(tree) }));
    expect(schemaOf(z.object({ tree })).properties?.tree?.properties?.children?.items).toEqual({});
    expect(schemaOf(z.transform((v) => v))).toEqual({});
    expect(schemaOf(undefined)).toEqual({});
  });

  it('computes each schema once', () => {
    const schema = z.object({ a: z.string() });
    expect(schemaOf(schema)).toBe(schemaOf(schema));
  });
});
