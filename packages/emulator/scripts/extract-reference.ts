// Copies the parts of the shared provider reference that the emulator's spec tests read into
// packages/emulator/reference/, so the tests pass on a clone that has no ../shared folder beside it.
// Run from the repository root when the reference changes:
//   corepack pnpm --filter @loraflow/emulator exec tsx scripts/extract-reference.ts [reference-dir]
// (the default reference-dir is ../shared/reference beside the repository)
// The Scenario Swagger (2.4 MB) is cut down to the response schemas of the routes the tests
// check and the definitions those reach; everything else is copied as is.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

// default: the shared reference folder beside the repository
const source = process.argv[2] ?? fileURLToPath(new URL('../../../../shared/reference/', import.meta.url));
const target = fileURLToPath(new URL('../reference/', import.meta.url));

/** The Scenario routes whose responses the spec tests validate. */
const ROUTES: Array<[path: string, method: string]> = [
  ['/models', 'get'],
  ['/models', 'post'],
  ['/models/public', 'get'],
  ['/models/{modelId}', 'get'],
  ['/models/{modelId}/training-images', 'post'],
  ['/models/{modelId}/training-images/pairs', 'put'],
  ['/models/{modelId}/train', 'put'],
  ['/models/{modelId}/train/action', 'post'],
  ['/generate/txt2img', 'post'],
  ['/generate/custom/{modelId}', 'post'],
  ['/jobs', 'get'],
  ['/jobs/{jobId}', 'get'],
  ['/jobs/{jobId}/action', 'post'],
  ['/assets/{assetId}', 'get'],
  ['/assets', 'post'],
];
const COPIED = [
  'specs/modelslab-community-models-openapi.json',
  'specs/modelslab-train-model-openapi.json',
  'seeds/001_903b5bb51d41f6f3.txt',
  'seeds/002_79dd50d9b0a3b964.txt',
  'seeds/003_364cfc053cad865a.txt',
];

type Node = Record<string, unknown>;
const swagger = parseYaml(readFileSync(join(source, 'specs/scenario-swagger-2025-11-04.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { schema?: unknown }> }>>;
  definitions: Record<string, unknown>;
};

const paths: Record<string, Record<string, { responses: Record<string, { schema: unknown }> }>> = {};
const wanted = new Set<string>();
function refs(node: unknown): void {
  if (Array.isArray(node)) for (const item of node) refs(item);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node as Node)) {
      if (key === '$ref' && typeof value === 'string') {
        const name = value.replace('#/definitions/', '');
        if (!wanted.has(name)) {
          wanted.add(name);
          refs(swagger.definitions[name]);
        }
      } else refs(value);
    }
  }
}
for (const [path, method] of ROUTES) {
  const op = swagger.paths[path]?.[method];
  if (!op) throw new Error(`The Swagger has no ${method.toUpperCase()} ${path}`);
  const responses: Record<string, { schema: unknown }> = {};
  for (const [status, response] of Object.entries(op.responses)) {
    if (response.schema === undefined) continue;
    responses[status] = { schema: response.schema };
    refs(response.schema);
  }
  paths[path] = { ...paths[path], [method]: { responses } };
}
const definitions: Record<string, unknown> = {};
for (const name of [...wanted].sort()) definitions[name] = swagger.definitions[name];

mkdirSync(join(target, 'specs'), { recursive: true });
mkdirSync(join(target, 'seeds'), { recursive: true });
writeFileSync(
  join(target, 'specs/scenario-swagger-2025-11-04.subset.json'),
  `${JSON.stringify({ source: 'scenario-swagger-2025-11-04.yaml', paths, definitions }, null, 1)}\n`,
);
for (const file of COPIED) copyFileSync(join(source, file), join(target, file));
process.stdout.write(`wrote ${target} (${wanted.size} Scenario definitions)\n`);
