// Core's one way to run a zod schema (its own, or a pack's classic or mini one), answering in English.
import { z } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * Any zod 4 schema, classic (`zod`) or mini (`zod/mini`): both build on zod's core `$ZodType`, so a
 * node pack written with either registers and validates.
 *
 * @example
 * const params: AnySchema = z.object({ text: z.string() }); // from 'zod' or from 'zod/mini'
 */
export type AnySchema<O = unknown> = z.core.$ZodType<O>;

const english = en().localeError;

// zod/mini installs no locale: a host's own map or locale (zod's config) still speaks first, English is only the fallback.
const errorMap: z.core.$ZodErrorMap = (issue) => {
  const config = z.config();
  return config.customError?.(issue) ?? config.localeError?.(issue) ?? english(issue);
};

const context = { error: errorMap };

/**
 * Checks a value against any zod 4 schema with a sentence on every issue, on a page that never
 * loads classic zod too (which alone installs zod's English messages). Changes no global config.
 *
 * @example
 * const r = parseSchema(def.params, node.params ?? {});
 * if (!r.success) show(r.error.issues[0]?.message); // 'Too small: expected number to be >=1'
 */
export function parseSchema<S extends AnySchema>(
  schema: S,
  value: unknown,
): z.util.SafeParseResult<z.output<S>> {
  return z.safeParse(schema, value, context);
}
