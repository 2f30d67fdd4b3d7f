import { z } from 'zod/mini';
import {
  COMPOSABLE_FAMILIES,
  compositionTypeFor,
  familiesCompatible,
  familyLabel,
  listAnd,
} from '../families';
import { typeParam } from '../port-rules';
import { NODE_ERROR_CODES } from '../services';
import { defineSpec } from '../spec';
import { loraInputType, loraType } from '../types';

/**
 * Scale of one LoRA in a composition: Scenario's `concepts[].scale` range (see decision 0007).
 *
 * @example
 * compositionScale.parse({}); // { scale: 1 }
 */
export const compositionScale = z.object({
  scale: z
    ._default(z.number().check(z.gte(-2), z.lte(2), z.multipleOf(0.01)), 1)
    .check(
      z.describe(
        'Influence of this LoRA in the composition (documented 0..1; the API takes −2..2, outside 0..1 warns).',
      ),
    ),
});

/**
 * What `lora.compose` declares, without its run (a `NodeSpec`).
 *
 * @example
 * defineNode({ ...loraComposeSpec, run });
 */
export const loraComposeSpec = defineSpec({
  type: 'lora.compose',
  version: 1,
  title: 'Compose LoRAs',
  category: 'LoRA',
  description:
    'Blends several LoRAs of one family, each with its own scale, into a Scenario composition model and finalises it. Scenario documents composition for FLUX.1; SDXL and SD 1.5 compositions work beyond that and warn.',
  params: z.object({
    name: z
      .string()
      .check(
        z.trim(),
        z.minLength(1),
        z.maxLength(40),
        z.describe('Name of the composition model (a tag is appended).'),
      ),
    timeoutMinutes: z
      ._default(z.number().check(z.gte(1), z.lte(24 * 60)), 30)
      .check(z.describe('How long to wait for the finalisation.')),
  }),
  inputs: {
    loras: {
      type: loraInputType({ provider: 'scenario', families: COMPOSABLE_FAMILIES, role: 'composition' }),
      multiple: true,
      max: 6,
      settings: compositionScale,
      label: 'LoRAs',
    },
  },
  outputs: {
    lora: {
      type: ({ inputTypes }) => {
        const family = typeParam(inputTypes.loras?.[0], 'family') ?? 'unknown';
        return loraType('scenario', family, compositionTypeFor(family));
      },
      label: 'Composition',
      description: "Scenario LoRA of the inputs' family (its model type is the composition type)",
    },
  },
  cache: 'pure',
  sideEffects: true,
  resources: ['provider:scenario'],
  // the composition model lives in the Scenario project it was created in
  scope: ['scenario'],
  validate({ inputTypes }) {
    const families = [
      ...new Set(
        (inputTypes.loras ?? [])
          .map((t) => typeParam(t, 'family'))
          .filter((f): f is string => f !== undefined),
      ),
    ];
    const first = families[0];
    if (first && families.some((f) => !familiesCompatible(f, first))) {
      return [
        {
          code: NODE_ERROR_CODES.mixedFamilies,
          message: `A composition takes LoRAs of one family, but these are ${listAnd(families.map(familyLabel))}.`,
          path: ['inputs', 'loras'],
        },
      ];
    }
    return [];
  },
});
