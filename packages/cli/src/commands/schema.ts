import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createRegistry, graphDocumentJsonSchema } from '@loraflow/core';
import { loraPackDefinitions } from '@loraflow/nodes/definitions';
import { buildCatalogue } from '@loraflow/runtime';
import { CLI_CODES, CliError, EXIT } from '../errors';
import { parseFlags, schemaFlagsSchema } from '../flags';
import type { CliIo } from '../io';

/**
 * `loraflow schema`: the JSON Schema of the graph format and of every node's params (and ports), to stdout or a file.
 *
 * @example
 * await schemaCommand(io, { out: 'graph.schema.json' });
 */
export async function schemaCommand(io: CliIo, rawFlags: unknown): Promise<number> {
  const flags = parseFlags(schemaFlagsSchema, rawFlags);
  const catalogue = buildCatalogue(createRegistry(loraPackDefinitions));
  const nodes: Record<string, unknown> = {};
  for (const node of catalogue.nodes) {
    nodes[node.type] = {
      title: node.title,
      description: node.description,
      params: node.params,
      inputs: node.inputs,
      outputs: node.outputs,
    };
  }
  const text = `${JSON.stringify({ graph: graphDocumentJsonSchema(), nodes, types: catalogue.types }, null, 2)}\n`;
  if (flags.out === undefined) {
    io.stdout.write(text);
    return EXIT.ok;
  }
  const file = resolve(io.cwd, flags.out);
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  } catch (error) {
    throw new CliError(
      CLI_CODES.outUnwritable,
      ['--out'],
      `The schema cannot be written there (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}).`,
      EXIT.failed,
    );
  }
  io.stderr.write(`loraflow: schema written to ${flags.out}\n`);
  return EXIT.ok;
}
