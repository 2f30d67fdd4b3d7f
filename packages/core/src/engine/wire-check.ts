// The check on the wire: what a node returned must fit its output's port type and the type of every
// input it feeds, or the producing node fails with `port.value-invalid` before a consumer sees it.
import { NodeRunError } from '../errors';
import { type AnySchema, parseSchema } from '../parse-schema';
import { checkPortValue, type PortType, type TypeRegistry, typeLabel, valueSchemaOf } from '../types';
import { resolveInputType } from '../validate';
import type { Step, WireChecks } from './plan';

/** The code of a node that returned a value its port types do not describe. */
export const PORT_VALUE_INVALID = 'port.value-invalid';

type Check = { port: string; types: Array<{ type: PortType; schema: AnySchema; to?: string }> };
interface OwnChecks {
  checks: WireChecks;
  schemas: Record<string, unknown>;
  /** Per port, the kind whose one schema (not a function of params) checks it: an input of that kind needs no other. */
  plainKind: Record<string, string | undefined>;
}

const NONE: WireChecks = Object.freeze([]) as WireChecks;
// per resolved output types record: fixed types are one record for every node of a definition
const ownMemo = new WeakMap<object, OwnChecks>();

function ownChecksOf(step: Step, types: TypeRegistry): OwnChecks {
  const outputTypes = step.outputTypes;
  const known = outputTypes && ownMemo.get(outputTypes);
  if (known) return known;
  const checks: Check[] = [];
  const schemas: Record<string, unknown> = {};
  const plainKind: Record<string, string | undefined> = {};
  for (const port in step.def.outputs) {
    const type = outputTypes?.[port];
    const schema = type && valueSchemaOf(type, types);
    schemas[port] = schema;
    plainKind[port] = schema && typeof types.get(type.kind)?.value !== 'function' ? type.kind : undefined;
    if (type && schema) checks.push({ port, types: [{ type, schema }] });
  }
  const own: OwnChecks = { checks: checks.length > 0 ? checks : NONE, schemas, plainKind };
  if (outputTypes) ownMemo.set(outputTypes, own);
  return own;
}

/**
 * Per output of a step, the port types its value is checked against: its own resolved type and the
 * types of the inputs it feeds, one per distinct schema (a `lora` output into a `lora` input is
 * checked once, and costs no list of its own). Kinds without a schema check nothing beyond plain
 * JSON (done before this).
 */
export function wireChecksOf(step: Step, steps: readonly Step[], types: TypeRegistry): WireChecks {
  const own = ownChecksOf(step, types);
  let extra: Check[] | undefined;
  const l = step.links;
  for (let p = l.outStart[step.index]!; p < l.outStart[step.index + 1]!; p++) {
    const d = steps[l.outs[p]!]!;
    for (let w = l.wireStart[d.index]!; w < l.wireStart[d.index + 1]!; w++) {
      if (l.wireFrom[w] !== step.index) continue;
      const port = l.wireFromPort[w]!;
      const input = l.wirePort[w]!;
      const type = resolveInputType(d.def.inputs![input]!, d.params);
      // the common wire, a kind into the same kind, is decided without looking a schema up
      if (type.kind === own.plainKind[port]) continue;
      const schema = valueSchemaOf(type, types);
      if (!schema || schema === own.schemas[port]) continue;
      extra ??= own.checks.map((c) => ({ port: c.port, types: [...c.types] }));
      let check = extra.find((c) => c.port === port);
      if (!check) {
        check = { port, types: [] };
        extra.push(check);
      }
      if (!check.types.some((t) => t.schema === schema))
        check.types.push({ type, schema, to: `${d.nodeId}.${input}` });
    }
  }
  return extra ?? own.checks;
}

/** Throws `port.value-invalid` for the first output value that does not fit one of its checks. */
export function checkWire(
  step: Step,
  outputs: Readonly<Record<string, unknown>>,
  checks: WireChecks,
  types: TypeRegistry,
): void {
  for (let c = 0; c < checks.length; c++) {
    const { port, types: list } = checks[c]!;
    for (let k = 0; k < list.length; k++) {
      const { type, schema, to } = list[k]!;
      if (parseSchema(schema, outputs[port]).success) continue;
      const verdict = checkPortValue(type, outputs[port], types);
      const what = to
        ? `that the ${typeLabel(type, types)} input "${to}" cannot take`
        : `that is not a ${typeLabel(type, types)} value`;
      throw new NodeRunError(
        PORT_VALUE_INVALID,
        `"${step.nodeId}" returned a value on its output "${port}" ${what} (${verdict}); it was not handed on.`,
      );
    }
  }
}
