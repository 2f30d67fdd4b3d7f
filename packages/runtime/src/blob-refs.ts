import { isBlobRef } from '@loraflow/core';

/**
 * The hashes of every blob ref in a JSON-like value, at any depth, added to `into`.
 *
 * @example
 * const hashes = blobHashesIn(record.nodes); // Set { 'ab12…', … }
 */
export function blobHashesIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (isBlobRef(v)) into.add(v.$blob);
    else if (Array.isArray(v)) stack.push(...v);
    else if (v !== null && typeof v === 'object') stack.push(...Object.values(v));
  }
  return into;
}
