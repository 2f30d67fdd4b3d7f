import { z } from 'zod/mini';
import { documentLimitIssues } from './document-limits';
import { ISSUE_CODES, type Issue, type Result, toIssuePath } from './issues';
import { parseSchema } from './parse-schema';

/**
 * The `format` tag every graph document carries.
 *
 * @example
 * if (json.format !== GRAPH_FORMAT) throw new Error('not a loraflow graph');
 */
export const GRAPH_FORMAT = 'loraflow.graph';
/**
 * The document version this core writes and runs. Older versions are migrated on load.
 *
 * @example
 * const empty = { format: GRAPH_FORMAT, version: GRAPH_VERSION, nodes: [], edges: [] };
 */
export const GRAPH_VERSION = 1;

const idSchema = z
  .string()
  .check(z.minLength(1, 'an id cannot be empty'), z.maxLength(200, 'an id is at most 200 characters'));
const nonEmpty = () => z.string().check(z.minLength(1));
const jsonRecord = z.record(z.string(), z.unknown());

/**
 * zod schema of one node in a graph document.
 *
 * @example
 * GraphNodeSchema.safeParse({ id: 'a', type: 'example.number', params: { value: 1 } }).success; // true
 */
export const GraphNodeSchema = z.object({
  id: idSchema,
  type: z.string().check(z.minLength(1, 'a node type cannot be empty')),
  params: z.optional(jsonRecord),
  position: z.optional(z.object({ x: z.number(), y: z.number() })),
  label: z.optional(z.string()),
});

/**
 * zod schema of one edge; the edges reaching one input, in document order, are that input's ordered list.
 *
 * @example
 * GraphEdgeSchema.parse({ id: 'e1', from: { node: 'a', port: 'value' }, to: { node: 'b', port: 'terms' } });
 */
export const GraphEdgeSchema = z.object({
  id: idSchema,
  from: z.object({ node: idSchema, port: nonEmpty() }),
  to: z.object({ node: idSchema, port: nonEmpty() }),
  settings: z.optional(jsonRecord),
});

/**
 * zod schema of a graph document, version 1. It checks shape only; `validateGraph` checks meaning.
 *
 * @example
 * const parsed = GraphDocumentSchema.safeParse(JSON.parse(text));
 */
export const GraphDocumentSchema = z.object({
  format: z.literal(GRAPH_FORMAT),
  version: z.literal(GRAPH_VERSION),
  name: z.optional(z.string()),
  meta: z.optional(jsonRecord),
  nodes: z.array(GraphNodeSchema),
  edges: z.array(GraphEdgeSchema),
});

const NODE_KEYS = new Set(['id', 'type', 'params', 'position', 'label']);
const EDGE_KEYS = new Set(['id', 'from', 'to', 'settings']);
const DOC_KEYS = new Set(['format', 'version', 'name', 'meta', 'nodes', 'edges']);

/**
 * Whether a value is already exactly a current-version document: every key known (nothing for zod to
 * strip) and every field of the right shape, so `GraphDocumentSchema` would return an equal copy.
 * Written by hand because it runs on every keystroke of an editor: a 5,000-node zod parse costs ~10 ms
 * and allocates the whole copy, this walk costs a fraction and allocates nothing. A property test holds
 * it to the zod schemas (`document.test.ts`).
 */
export function isExactDocument(value: unknown): value is GraphDocument {
  if (!isExactShell(value)) return false;
  const { nodes, edges } = value;
  for (let i = 0; i < nodes.length; i++) if (!isExactNode(nodes[i])) return false;
  for (let i = 0; i < edges.length; i++) if (!isExactEdge(edges[i])) return false;
  return true;
}

/** The document object itself exact (its nodes and edges arrays, not what they hold; internal). */
export function isExactShell(value: unknown): value is GraphDocument {
  if (!isPlainRecord(value) || !hasOnlyKeys(value, DOC_KEYS)) return false;
  if (value.format !== GRAPH_FORMAT || value.version !== GRAPH_VERSION) return false;
  if (value.name !== undefined && typeof value.name !== 'string') return false;
  if (value.meta !== undefined && !isPlainRecord(value.meta)) return false;
  return Array.isArray(value.nodes) && Array.isArray(value.edges);
}

/** One node exactly as `GraphNodeSchema` would return it (internal: see isExactDocument). */
export function isExactNode(n: unknown): boolean {
  if (!isPlainRecord(n) || !hasOnlyKeys(n, NODE_KEYS) || !isId(n.id)) return false;
  if (typeof n.type !== 'string' || n.type.length === 0) return false;
  if (n.params !== undefined && !isPlainRecord(n.params)) return false;
  if (n.label !== undefined && typeof n.label !== 'string') return false;
  if (n.position === undefined) return true;
  const p = n.position;
  return (
    isPlainRecord(p) &&
    hasOnlyKeys(p, POSITION_KEYS) &&
    typeof p.x === 'number' &&
    Number.isFinite(p.x) &&
    typeof p.y === 'number' &&
    Number.isFinite(p.y)
  );
}

const POSITION_KEYS = new Set(['x', 'y']);
const END_KEYS = new Set(['node', 'port']);

/** One edge exactly as `GraphEdgeSchema` would return it (internal: see isExactDocument). */
export function isExactEdge(e: unknown): boolean {
  if (!isPlainRecord(e) || !hasOnlyKeys(e, EDGE_KEYS) || !isId(e.id)) return false;
  if (e.settings !== undefined && !isPlainRecord(e.settings)) return false;
  return isExactEnd(e.from) && isExactEnd(e.to);
}

function isExactEnd(end: unknown): boolean {
  return (
    isPlainRecord(end) &&
    hasOnlyKeys(end, END_KEYS) &&
    isId(end.node) &&
    typeof end.port === 'string' &&
    end.port.length > 0
  );
}

function isId(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0 && v.length <= 200;
}

// Plain objects only (what JSON makes); anything else goes the zod way, which decides and explains.
function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function hasOnlyKeys(o: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const k in o) if (!allowed.has(k)) return false;
  return true;
}

/**
 * One node: an instance of a node type with its params and editor position.
 *
 * @example
 * const node: GraphNode = { id: 'a', type: 'example.number', params: { value: 2 }, position: { x: 0, y: 0 } };
 */
export interface GraphNode {
  id: string;
  type: string;
  params?: Record<string, unknown>;
  position?: { x: number; y: number };
  label?: string;
}

/**
 * One connection from an output port to an input port, with per-connection settings (e.g. `{ scale: 0.8 }`).
 *
 * @example
 * const edge: GraphEdge = { id: 'e1', from: { node: 'a', port: 'lora' }, to: { node: 'mix', port: 'loras' }, settings: { scale: 0.8 } };
 */
export interface GraphEdge {
  id: string;
  from: { node: string; port: string };
  to: { node: string; port: string };
  settings?: Record<string, unknown>;
}

/**
 * A graph document: plain, versioned JSON.
 *
 * @example
 * const doc: GraphDocument = { format: 'loraflow.graph', version: 1, nodes: [], edges: [] };
 */
export interface GraphDocument {
  format: typeof GRAPH_FORMAT;
  version: typeof GRAPH_VERSION;
  name?: string;
  meta?: Record<string, unknown>;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/**
 * JSON Schema (draft 2020-12) of the graph document, for tools outside TypeScript (`loraflow schema`).
 *
 * @example
 * writeFileSync('graph.schema.json', JSON.stringify(graphDocumentJsonSchema(), null, 2));
 */
export function graphDocumentJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(GraphDocumentSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://loraflow.dev/schema/graph-v1.json', title: 'loraflow graph document' };
}

/**
 * A step that lifts a document from version `from` to `from + 1`. Hosts add steps when the format
 * changes; `loadDocument` chains them.
 *
 * @example
 * const v0to1: Migration = { from: 0, migrate: (d) => ({ ...d, version: 1, edges: d.links ?? [] }) };
 */
export interface Migration {
  from: number;
  migrate(doc: Record<string, unknown>): Record<string, unknown>;
}

/**
 * The migrations this core ships. Version 1 is the first published format, so there are none yet.
 *
 * @example
 * loadDocument(json, { migrations: [...MIGRATIONS, myStep] });
 */
export const MIGRATIONS: readonly Migration[] = [];

/**
 * How {@link loadDocument} loads.
 *
 * @example
 * loadDocument(json, { migrations: [myStep], keepIdentity: true });
 */
export interface LoadOptions {
  /** Steps added after the core's own {@link MIGRATIONS}. */
  migrations?: readonly Migration[];
  /**
   * Hand back the input object itself when it is already an exact current-version document (no
   * migration to run, no unknown key to strip), instead of a copy. An engine keeps its analysis by
   * object identity, so an editor's unchanged nodes and edges then cost nothing on the next explain.
   * The caller must not rely on the result being a private copy.
   */
  keepIdentity?: boolean;
}

/**
 * Loads a document of any known version: checks the format tag, runs migrations up to the current
 * version, then checks the shape with zod. Never throws; unknown future versions are refused clearly.
 *
 * @example
 * const r = loadDocument(JSON.parse(text));
 * if (!r.ok) for (const i of r.issues) report(i.path, i.message);
 */
export function loadDocument(input: unknown, options: LoadOptions = {}): Result<GraphDocument> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return fail([], ISSUE_CODES.invalidDocument, 'A graph document must be a JSON object.');
  }
  let doc = input as Record<string, unknown>;
  // Before migrations and schemas recurse into it: too deep or not finite is refused with its path.
  const limits = documentLimitIssues(doc);
  if (limits.length > 0) return { ok: false, issues: limits };
  if (doc.format !== GRAPH_FORMAT) {
    return fail(
      ['format'],
      ISSUE_CODES.formatUnknown,
      `This is not a loraflow graph: "format" must be "${GRAPH_FORMAT}".`,
    );
  }
  if (typeof doc.version !== 'number' || !Number.isInteger(doc.version)) {
    return fail(['version'], ISSUE_CODES.versionUnsupported, 'The document has no integer "version".');
  }
  if (doc.version > GRAPH_VERSION) {
    return fail(
      ['version'],
      ISSUE_CODES.versionUnsupported,
      `The document is version ${doc.version}, newer than this loraflow understands (up to ${GRAPH_VERSION}); upgrade loraflow to open it.`,
    );
  }
  const migrations = [...MIGRATIONS, ...(options.migrations ?? [])];
  while ((doc.version as number) < GRAPH_VERSION) {
    const from = doc.version as number;
    const step = migrations.find((m) => m.from === from);
    if (!step) {
      return fail(
        ['version'],
        ISSUE_CODES.versionUnsupported,
        `No migration is known from document version ${from}.`,
      );
    }
    try {
      doc = step.migrate(doc);
    } catch (error) {
      return fail(
        ['version'],
        ISSUE_CODES.migrationFailed,
        `Migrating the document from version ${from} failed: ${errorText(error)}.`,
      );
    }
    if (doc === null || typeof doc !== 'object' || doc.version !== from + 1) {
      return fail(
        ['version'],
        ISSUE_CODES.migrationFailed,
        `The migration from version ${from} did not produce version ${from + 1}.`,
      );
    }
  }
  if (options.keepIdentity && doc === input && isExactDocument(doc)) {
    return { ok: true, value: doc as unknown as GraphDocument };
  }
  const parsed = parseSchema(GraphDocumentSchema, doc);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({
        path: toIssuePath(i.path),
        code: ISSUE_CODES.invalidDocument,
        message: describeZodIssue(i.path, i.message),
      })),
    };
  }
  return { ok: true, value: parsed.data as GraphDocument };
}

/**
 * A readable sentence for a zod issue at a path.
 *
 * @example
 * describeZodIssue(['nodes', 0, 'id'], 'Too small'); // '"nodes.0.id": Too small.'
 */
export function describeZodIssue(path: readonly PropertyKey[], message: string): string {
  const where = path.length === 0 ? 'The value' : `"${path.map(String).join('.')}"`;
  return `${where}: ${message.replace(/\.$/, '')}.`;
}

function fail(path: (string | number)[], code: string, message: string): { ok: false; issues: Issue[] } {
  return { ok: false, issues: [{ path, code, message }] };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\.$/, '') : String(error);
}
