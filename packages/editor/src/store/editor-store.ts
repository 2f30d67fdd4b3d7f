import {
  applyChanges,
  type ConnectionCheck,
  createRunStateFold,
  type GraphChange,
  type GraphDocument,
  type GraphEdge,
  type GraphNode,
  type Issue,
  initialRunState,
  type PortRef,
  type RunEvent,
  type RunResult,
  type RunStateFold,
} from '@loraflow/core';
import { type Catalogue, defaultParams } from '../catalogue';
import { schemaOf } from '../components/json-schema';
import { parseClipboardText, serializeClipboard } from '../io';
import { starterParams } from '../params';
import { resultOfRecord } from '../run-result';
import type {
  EditorRuntime,
  ExplainEntry,
  NodeEstimate,
  RunEstimate,
  RunHandleLike,
  RunRecord,
} from '../runtime-types';
import { History } from './history';
import { createRunView, eventsOfResult, type RunFields, type RunView } from './run-view';
import { Subscribable } from './subscribable';

export type { NodeRunStatus, NodeRunView, RunView } from './run-view';

/**
 * A message for the person: a refused connection, a failed import, a run that could not start.
 *
 * @example
 * const notice = useEditorState((s) => s.notice); notice?.code === 'type.incompatible';
 */
export interface Notice {
  kind: 'refusal' | 'error' | 'info';
  code: string;
  message: string;
  seq: number;
  /** A refused connection: the notice goes once the two ports could be connected (or one is gone). */
  connection?: { from: PortRef; to: PortRef };
  /** Where on the canvas (px from its top left) the refused wire was dropped. */
  at?: { x: number; y: number };
}

/**
 * The editor's whole state, an immutable snapshot replaced on every change.
 *
 * @example
 * const issues = useEditorState((s: EditorState) => s.issues);
 */
export interface EditorState {
  doc: GraphDocument;
  /** The document as of the last edit that can change types or validity (a drag does not): port types read it. */
  typesDoc: GraphDocument;
  nodesById: ReadonlyMap<string, GraphNode>;
  selectedNodes: ReadonlySet<string>;
  selectedEdges: ReadonlySet<string>;
  issues: readonly Issue[];
  issuesByNode: ReadonlyMap<string, readonly Issue[]>;
  issuesByEdge: ReadonlyMap<string, readonly Issue[]>;
  explain: ReadonlyMap<string, ExplainEntry>;
  estimate: RunEstimate | undefined;
  /** Each node's line of the estimate (its cost), by node id. */
  estimateByNode: ReadonlyMap<string, NodeEstimate>;
  /** The edges reaching each node, in document order; a node's list keeps its identity while its edges do. */
  edgesByTarget: ReadonlyMap<string, readonly GraphEdge[]>;
  run: RunView;
  canUndo: boolean;
  canRedo: boolean;
  readOnly: boolean;
  notice: Notice | undefined;
}

/**
 * Options of `createEditorStore`.
 *
 * @example
 * createEditorStore({ catalogue, document: doc, runtime, readOnly: true });
 */
export interface EditorStoreOptions {
  catalogue: Catalogue;
  document?: GraphDocument;
  /** Validation of a whole document (core's `validateGraph` with the packs' registry). */
  validate?: (doc: GraphDocument) => readonly Issue[];
  runtime?: EditorRuntime;
  readOnly?: boolean;
  /** Milliseconds to wait after an edit before asking the runtime for explain and estimate. */
  explainDelayMs?: number;
  now?: () => number;
  /** Makes fresh ids for added, pasted and duplicated nodes and edges. */
  newId?: (prefix: string) => string;
}

const EMPTY_DOC: GraphDocument = { format: 'loraflow.graph', version: 1, nodes: [], edges: [] };
const EMPTY_RUN: RunView = createRunView({ status: 'idle' }, undefined);

function indexIssues(issues: readonly Issue[]) {
  const byNode = new Map<string, Issue[]>();
  const byEdge = new Map<string, Issue[]>();
  for (const issue of issues) {
    if (issue.edgeId !== undefined) {
      const list = byEdge.get(issue.edgeId);
      if (list) list.push(issue);
      else byEdge.set(issue.edgeId, [issue]);
    } else if (issue.nodeId !== undefined) {
      const list = byNode.get(issue.nodeId);
      if (list) list.push(issue);
      else byNode.set(issue.nodeId, [issue]);
    }
  }
  return { byNode, byEdge };
}

// Lists whose edges are the same objects are reused, so a node whose wires did not change keeps its slice.
function indexEdges(
  edges: readonly GraphEdge[],
  previous: ReadonlyMap<string, readonly GraphEdge[]>,
): Map<string, readonly GraphEdge[]> {
  const byTarget = new Map<string, GraphEdge[]>();
  for (const e of edges) {
    const list = byTarget.get(e.to.node);
    if (list) list.push(e);
    else byTarget.set(e.to.node, [e]);
  }
  const out = new Map<string, readonly GraphEdge[]>();
  for (const [id, list] of byTarget) {
    const old = previous.get(id);
    out.set(id, old && old.length === list.length && old.every((e, i) => e === list[i]) ? old : list);
  }
  return out;
}

let idCounter = 0;
function defaultNewId(prefix: string): string {
  idCounter += 1;
  const random = Math.random().toString(36).slice(2, 8);
  return `${prefix}-${Date.now().toString(36)}${idCounter.toString(36)}${random}`;
}

/** What the clipboard holds: nodes and the edges between them. */
interface Clip {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/**
 * The editor's state and every edit a person can make, outside React: a small observable store the
 * components read with `useSyncExternalStore`, and hosts can drive from their own chrome.
 *
 * @example
 * const store = createEditorStore({ catalogue: createCatalogue([loraPack]) });
 * store.addNode('lora.compose', { x: 0, y: 0 });
 * store.undo();
 */
export class EditorStore extends Subscribable {
  private state: EditorState;
  private readonly history: History<GraphDocument>;
  readonly catalogue: Catalogue;
  private validateDoc: ((doc: GraphDocument) => readonly Issue[]) | undefined;
  private runtime: EditorRuntime | undefined;
  private readonly newId: (prefix: string) => string;
  private readonly explainDelayMs: number;
  private explainTimer: ReturnType<typeof setTimeout> | undefined;
  private explainSeq = 0;
  private noticeSeq = 0;
  private clip: Clip | undefined;
  private pasteCount = 0;
  private lastPasted: string | undefined;
  private handle: RunHandleLike | undefined;
  private unsubscribeRun: (() => void) | undefined;
  // the shown run's state: core's one fold of its events
  private runFold: RunStateFold | undefined;
  // the node a run event touches (one set, reused: a run sends an event per node change)
  private readonly oneNode = new Set<string>();
  private readonly docListeners = new Set<(doc: GraphDocument) => void>();
  private readonly nodeListeners = new Map<string, Set<() => void>>();
  // The nodes the change being committed touches (a drag's moved nodes); undefined means any node may have changed.
  private touchedNodes: ReadonlySet<string> | undefined;

  constructor(options: EditorStoreOptions) {
    super();
    this.catalogue = options.catalogue;
    this.validateDoc = options.validate;
    this.runtime = options.runtime;
    this.newId = options.newId ?? defaultNewId;
    this.explainDelayMs = options.explainDelayMs ?? 250;
    this.history = new History<GraphDocument>(options.now ? { now: options.now } : {});
    const doc = options.document ?? EMPTY_DOC;
    this.state = {
      doc,
      typesDoc: doc,
      nodesById: new Map(doc.nodes.map((n) => [n.id, n])),
      selectedNodes: new Set(),
      selectedEdges: new Set(),
      issues: [],
      issuesByNode: new Map(),
      issuesByEdge: new Map(),
      explain: new Map(),
      estimate: undefined,
      estimateByNode: new Map(),
      edgesByTarget: indexEdges(doc.edges, new Map()),
      run: EMPTY_RUN,
      canUndo: false,
      canRedo: false,
      readOnly: options.readOnly ?? false,
      notice: undefined,
    };
    this.revalidate();
  }

  /** The current snapshot; a new object after every change. */
  getState = (): EditorState => this.state;

  /** The current document. */
  get document(): GraphDocument {
    return this.state.doc;
  }

  /**
   * Calls `listener` after changes that may concern node `id`: a drag tells only the moved nodes, so 1,000
   * nodes on the canvas do not each check their slice on every pointer move.
   *
   * @example
   * const off = store.subscribeNode('n1', () => render());
   */
  subscribeNode(id: string, listener: () => void): () => void {
    let set = this.nodeListeners.get(id);
    if (!set) {
      set = new Set();
      this.nodeListeners.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.nodeListeners.get(id) === set) this.nodeListeners.delete(id);
    };
  }

  /** Calls `listener` with the new document after every change to it (edits, undo, import). */
  onDocumentChange(listener: (doc: GraphDocument) => void): () => void {
    this.docListeners.add(listener);
    return () => {
      this.docListeners.delete(listener);
    };
  }

  private set(patch: Partial<EditorState>): void {
    this.state = { ...this.state, ...patch };
    this.notify();
    const touched = this.touchedNodes;
    if (touched) {
      for (const id of touched) {
        const set = this.nodeListeners.get(id);
        if (set) for (const listener of [...set]) listener();
      }
    } else {
      for (const set of [...this.nodeListeners.values()]) for (const listener of [...set]) listener();
    }
  }

  private commitDoc(doc: GraphDocument, structural: boolean): void {
    const patch: Partial<EditorState> = {
      doc,
      nodesById: new Map(doc.nodes.map((n) => [n.id, n])),
      canUndo: this.history.canUndo,
      canRedo: this.history.canRedo,
    };
    // Positions never change validity, so a drag does not revalidate 1,000 nodes per frame.
    if (structural) Object.assign(patch, this.validation(doc), { typesDoc: doc });
    const refused = this.state.notice?.connection;
    // a refusal that no longer applies (the ports now fit, or one is gone) is not left on screen
    if (
      structural &&
      refused &&
      (!patch.nodesById?.has(refused.from.node) ||
        !patch.nodesById.has(refused.to.node) ||
        this.catalogue.check(doc, refused.from, refused.to).ok)
    )
      patch.notice = undefined;
    if (doc.edges !== this.state.doc.edges)
      patch.edgesByTarget = indexEdges(doc.edges, this.state.edgesByTarget);
    const selectedNodes = [...this.state.selectedNodes].filter((id) => patch.nodesById?.has(id));
    if (selectedNodes.length !== this.state.selectedNodes.size) patch.selectedNodes = new Set(selectedNodes);
    const edgeIds = new Set(doc.edges.map((e) => e.id));
    const selectedEdges = [...this.state.selectedEdges].filter((id) => edgeIds.has(id));
    if (selectedEdges.length !== this.state.selectedEdges.size) patch.selectedEdges = new Set(selectedEdges);
    this.set(patch);
    for (const listener of this.docListeners) listener(doc);
    if (structural) this.scheduleExplain();
  }

  private validation(doc: GraphDocument): Pick<EditorState, 'issues' | 'issuesByNode' | 'issuesByEdge'> {
    let issues: readonly Issue[] = [];
    if (this.validateDoc) {
      try {
        issues = this.validateDoc(doc);
      } catch (error) {
        issues = [
          {
            path: [],
            code: 'editor.validation-failed',
            message: `Validation failed: ${error instanceof Error ? error.message : String(error)}`,
          },
        ];
      }
    }
    const { byNode, byEdge } = indexIssues(issues);
    return { issues, issuesByNode: byNode, issuesByEdge: byEdge };
  }

  private revalidate(): void {
    this.state = { ...this.state, ...this.validation(this.state.doc) };
    this.scheduleExplain();
  }

  /** Replaces the validator (when the packs change) and validates again. */
  setValidator(validate: ((doc: GraphDocument) => readonly Issue[]) | undefined): void {
    this.validateDoc = validate;
    this.revalidate();
    this.notify();
  }

  /** Switches the runtime; explain and estimate are asked again. */
  setRuntime(runtime: EditorRuntime | undefined): void {
    if (this.runtime === runtime) return;
    this.runtime = runtime;
    this.scheduleExplain();
  }

  /** Turns read-only mode on or off. */
  setReadOnly(readOnly: boolean): void {
    if (this.state.readOnly !== readOnly) this.set({ readOnly });
  }

  /**
   * Applies graph changes (core's `applyChanges`: all or none) as one undoable step, or as part of
   * the open one with the same `coalesceKey`. Returns false when nothing changed, a change does not
   * apply (its node is gone), or the editor is read-only.
   *
   * @example
   * store.edit([{ type: 'params.patch', id: 'gen', values: { steps: 30 } }]);
   */
  edit(
    changes: readonly GraphChange[],
    options: { coalesceKey?: string; structural?: boolean } = {},
  ): boolean {
    if (this.state.readOnly || changes.length === 0) return false;
    const r = applyChanges(this.state.doc, changes);
    if (!r.ok || r.value.patches.length === 0) return false;
    const { doc: next, patches, inversePatches: inverse } = r.value;
    this.history.record(patches, inverse, options.coalesceKey ? { coalesceKey: options.coalesceKey } : {});
    this.commitDoc(next, options.structural ?? true);
    return true;
  }

  /** Ends a coalescing step (a drag stopped, a field lost focus). */
  closeStep(): void {
    this.history.close();
  }

  undo(): void {
    if (this.state.readOnly) return;
    const doc = this.history.undo(this.state.doc);
    if (doc) this.commitDoc(doc, true);
  }

  redo(): void {
    if (this.state.readOnly) return;
    const doc = this.history.redo(this.state.doc);
    if (doc) this.commitDoc(doc, true);
  }

  /**
   * Replaces the whole document (import, or a controlled host passing a new one). History is kept
   * as one step when `undoable`, else cleared.
   */
  replaceDocument(doc: GraphDocument, options: { undoable?: boolean } = {}): void {
    if (doc === this.state.doc) return;
    if (options.undoable && !this.state.readOnly) {
      this.edit([{ type: 'document.replace', document: doc }]);
      return;
    }
    this.history.clear();
    this.commitDoc(doc, true);
  }

  /**
   * Adds a node of `type` at `position` with its starter params (defaults, the schema's example, a value
   * for each required param: see `starterParams`), and, with `link`, its connection to the node a dragged
   * wire came from: one undo step. Returns the new node's id.
   *
   * @example
   * store.addNode('lora.compose', { x: 0, y: 0 }, undefined, { port: 'loras', from: { node: 'style', port: 'lora' } });
   */
  addNode(
    type: string,
    position: { x: number; y: number },
    params?: Record<string, unknown>,
    link?: { port: string; from?: PortRef; to?: PortRef },
  ): string | undefined {
    const def = this.catalogue.definition(type);
    if (!def) {
      this.notice('error', 'node.unknown-type', `No loaded pack defines the node type "${type}".`);
      return undefined;
    }
    const base = type.split('.').pop() ?? 'node';
    const id = this.uniqueId(base);
    const starter = params ?? starterParams(schemaOf(def.params), def.title ?? type);
    const node: GraphNode = { id, type, position: { x: Math.round(position.x), y: Math.round(position.y) } };
    if (Object.keys(starter).length > 0) node.params = starter;
    const changes: GraphChange[] = [{ type: 'node.add', node }];
    if (link && !this.state.readOnly) {
      const from = link.from ?? { node: id, port: link.port };
      const to = link.to ?? { node: id, port: link.port };
      // checked against the document with the new node in it, so the wire and the node are one step
      const withNode = { ...this.state.typesDoc, nodes: [...this.state.typesDoc.nodes, node] };
      const planned = this.connectionChanges(withNode, from, to);
      if (planned.ok) changes.push(...planned.changes);
      else this.notice('refusal', planned.code, planned.reason);
    }
    const ok = this.edit(changes);
    if (!ok) return undefined;
    this.select([id], []);
    return id;
  }

  // the changes that connect `from` to `to` in `doc` (replacing a single input's old wire), or why not
  private connectionChanges(
    doc: GraphDocument,
    from: PortRef,
    to: PortRef,
  ):
    | { ok: true; changes: GraphChange[]; edgeId: string }
    | { ok: false; code: string; reason: string; issues: Issue[] } {
    const checked = this.catalogue.check(doc, from, to);
    if (!checked.ok) {
      const first = checked.issues[0]!;
      return { ok: false, code: first.code, reason: first.message, issues: checked.issues };
    }
    const target = doc.nodes.find((n) => n.id === to.node);
    const spec = target ? this.catalogue.definition(target.type)?.inputs?.[to.port] : undefined;
    const existing = doc.edges.filter((e) => e.to.node === to.node && e.to.port === to.port);
    if (existing.some((e) => e.from.node === from.node && e.from.port === from.port)) {
      return {
        ok: false,
        code: 'edge.duplicate',
        reason: 'These two ports are already connected.',
        issues: [],
      };
    }
    const edgeId = this.newId('e');
    const settings = spec?.settings ? defaultParams(spec.settings) : {};
    const edge: GraphEdge = { id: edgeId, from: { ...from }, to: { ...to } };
    if (Object.keys(settings).length > 0) edge.settings = settings;
    const replaced: GraphChange[] = spec?.multiple
      ? []
      : existing.map((e) => ({ type: 'edge.remove', id: e.id }));
    return { ok: true, changes: [...replaced, { type: 'edge.add', edge }], edgeId };
  }

  private uniqueId(base: string): string {
    const taken = this.state.nodesById;
    for (let i = 1; i < 10_000; i++) {
      const id = `${base}-${i}`;
      if (!taken.has(id)) return id;
    }
    return this.newId(base);
  }

  /**
   * Core's `checkConnection` for the edge `connect` would add (its input's default settings; a
   * single input's old connection replaced): validation's codes and sentences. Cheap enough for
   * every port a drag passes over: the document's analysis is made once per structural edit.
   *
   * @example
   * const r = store.checkConnection({ node: 'style', port: 'lora' }, { node: 'gen', port: 'loras' });
   */
  checkConnection(from: PortRef, to: PortRef): ConnectionCheck {
    // typesDoc differs from the document only by positions, which no check depends on
    return this.catalogue.check(this.state.typesDoc, from, to);
  }

  /**
   * Connects an output to an input, or refuses with validation's own issues for that edge (the
   * first one's code and sentence is also shown as a notice). A single input that is already
   * connected has its old connection replaced; the same two ports are never connected twice.
   */
  connect(
    from: PortRef,
    to: PortRef,
  ): { ok: true; edgeId: string } | { ok: false; code: string; reason: string; issues: Issue[] } {
    if (this.state.readOnly)
      return { ok: false, code: 'editor.read-only', reason: 'This editor is read-only.', issues: [] };
    // typesDoc differs from the document only by positions, which no check depends on
    const planned = this.connectionChanges(this.state.typesDoc, from, to);
    if (!planned.ok) {
      this.notice('refusal', planned.code, planned.reason, { connection: { from, to } });
      return planned;
    }
    this.edit(planned.changes);
    return { ok: true, edgeId: planned.edgeId };
  }

  /** Sets one parameter (`undefined` removes it); typing in one field coalesces into one undo step. */
  setParam(nodeId: string, name: string, value: unknown): void {
    this.edit(
      [
        value === undefined
          ? { type: 'params.patch', id: nodeId, values: {}, unset: [name] }
          : { type: 'params.patch', id: nodeId, values: { [name]: value } },
      ],
      { coalesceKey: `param:${nodeId}:${name}` },
    );
  }

  /** Sets a node's label (an empty label removes it). */
  setLabel(nodeId: string, label: string): void {
    this.edit([{ type: 'node.update', id: nodeId, label: label === '' ? null : label }], {
      coalesceKey: `label:${nodeId}`,
    });
  }

  /** Sets one per-connection setting, e.g. a LoRA's scale in a composition. */
  setEdgeSetting(edgeId: string, name: string, value: unknown): void {
    const edge = this.state.doc.edges.find((e) => e.id === edgeId);
    if (!edge || (edge.settings !== undefined && Object.is(edge.settings[name], value))) return;
    this.edit([{ type: 'edge.settings', id: edgeId, settings: { ...edge.settings, [name]: value } }], {
      coalesceKey: `edge:${edgeId}:${name}`,
    });
  }

  /** Moves an edge one place up or down among the edges reaching the same input (their order is the list's). */
  moveEdge(edgeId: string, direction: -1 | 1): void {
    const edge = this.state.doc.edges.find((e) => e.id === edgeId);
    if (!edge) return;
    const order = this.state.doc.edges
      .filter((e) => e.to.node === edge.to.node && e.to.port === edge.to.port)
      .map((e) => e.id);
    const at = order.indexOf(edgeId);
    const other = at + direction;
    if (other < 0 || other >= order.length) return;
    [order[at], order[other]] = [order[other]!, order[at]!];
    this.edit([{ type: 'input.reorder', node: edge.to.node, port: edge.to.port, order }]);
  }

  /** Moves nodes; a drag's moves share `dragKey` and become one undo step. */
  moveNodes(moves: ReadonlyArray<{ id: string; x: number; y: number }>, dragKey?: string): void {
    // core's applyChanges touches only the moved nodes, so immer drafts none of the other 1,000 per frame
    const changes: GraphChange[] = [];
    for (const m of moves) {
      const node = this.state.nodesById.get(m.id);
      if (node && (node.position?.x !== m.x || node.position?.y !== m.y))
        changes.push({ type: 'node.move', id: m.id, position: { x: m.x, y: m.y } });
    }
    this.touchedNodes = new Set(moves.map((m) => m.id));
    try {
      this.edit(changes, { structural: false, ...(dragKey ? { coalesceKey: `move:${dragKey}` } : {}) });
    } finally {
      this.touchedNodes = undefined;
    }
  }

  /** Removes nodes (and their edges) and edges. */
  remove(nodeIds: Iterable<string>, edgeIds: Iterable<string> = []): void {
    const nodes = new Set(nodeIds);
    const edges = new Set(edgeIds);
    if (nodes.size === 0 && edges.size === 0) return;
    // edges first: a node's removal takes its edges along, after which they could not be named
    const changes: GraphChange[] = [];
    for (const e of this.state.doc.edges)
      if (edges.has(e.id)) changes.push({ type: 'edge.remove', id: e.id });
    for (const id of nodes) if (this.state.nodesById.has(id)) changes.push({ type: 'node.remove', id });
    this.edit(changes);
  }

  /** Removes what is selected. */
  deleteSelection(): void {
    this.remove(this.state.selectedNodes, this.state.selectedEdges);
  }

  /** Selects exactly these nodes and edges. */
  select(nodeIds: Iterable<string>, edgeIds: Iterable<string>): void {
    const nodes = new Set(nodeIds);
    const edges = new Set(edgeIds);
    if (sameSet(nodes, this.state.selectedNodes) && sameSet(edges, this.state.selectedEdges)) return;
    this.set({ selectedNodes: nodes, selectedEdges: edges });
  }

  /** Selects every node and edge. */
  selectAll(): void {
    this.select(
      this.state.doc.nodes.map((n) => n.id),
      this.state.doc.edges.map((e) => e.id),
    );
  }

  /** Copies the selected nodes and the edges between them; returns the JSON a system clipboard can hold. */
  copy(): string | undefined {
    const ids = this.state.selectedNodes;
    if (ids.size === 0) return undefined;
    const nodes = this.state.doc.nodes.filter((n) => ids.has(n.id));
    const edges = this.state.doc.edges.filter((e) => ids.has(e.from.node) && ids.has(e.to.node));
    this.clip = structuredClone({ nodes, edges });
    this.pasteCount = 0;
    return serializeClipboard({ nodes, edges });
  }

  /**
   * Pastes the editor's last copy or, given `text` (the system clipboard's), what it holds, with fresh ids, offset
   * from the originals. Text that holds no valid loraflow nodes pastes nothing, leaves the document as it was and
   * says why in a notice.
   */
  paste(text?: string): string[] {
    let clip = this.clip;
    if (text !== undefined) {
      const parsed = parseClipboardText(text);
      if (!parsed.ok) {
        const first = parsed.issues[0];
        const where = first && first.path.length > 0 ? ` (at ${first.path.join('.')})` : '';
        this.notice(
          'error',
          first?.code ?? 'clipboard.invalid',
          `Nothing was pasted${where}: ${lowerFirst(first?.message ?? 'The clipboard holds no loraflow nodes.')}`,
        );
        return [];
      }
      // the same text pasted again lands further down-right, as the editor's own copy does
      if (text !== this.lastPasted) this.pasteCount = 0;
      this.lastPasted = text;
      clip = parsed.value;
    }
    if (!clip || clip.nodes.length === 0) return [];
    this.pasteCount += 1;
    return this.insertCopies(clip, 40 * this.pasteCount);
  }

  /** Duplicates the selected nodes (and the edges between them) with fresh ids. */
  duplicate(): string[] {
    const ids = this.state.selectedNodes;
    if (ids.size === 0) return [];
    const nodes = this.state.doc.nodes.filter((n) => ids.has(n.id));
    const edges = this.state.doc.edges.filter((e) => ids.has(e.from.node) && ids.has(e.to.node));
    return this.insertCopies(structuredClone({ nodes, edges }), 40);
  }

  private insertCopies(clip: Clip, offset: number): string[] {
    if (this.state.readOnly) return [];
    const idMap = new Map<string, string>();
    const taken = new Set(this.state.nodesById.keys());
    // where each base's search resumes: a paste of n "x-…" nodes costs n lookups, not n²/2
    const next = new Map<string, number>();
    for (const node of clip.nodes) {
      const base = node.id.replace(/-\d+$/, '') || 'node';
      let i = next.get(base) ?? 1;
      while (taken.has(`${base}-${i}`)) i++;
      next.set(base, i + 1);
      const id = `${base}-${i}`;
      taken.add(id);
      idMap.set(node.id, id);
    }
    const nodes = clip.nodes.map((n) => ({
      ...structuredClone(n),
      id: idMap.get(n.id)!,
      position: { x: (n.position?.x ?? 0) + offset, y: (n.position?.y ?? 0) + offset },
    }));
    const edges = clip.edges
      .filter((e) => idMap.has(e.from.node) && idMap.has(e.to.node))
      .map((e) => ({
        ...structuredClone(e),
        id: this.newId('e'),
        from: { node: idMap.get(e.from.node)!, port: e.from.port },
        to: { node: idMap.get(e.to.node)!, port: e.to.port },
      }));
    this.edit([
      ...nodes.map((node): GraphChange => ({ type: 'node.add', node })),
      ...edges.map((edge): GraphChange => ({ type: 'edge.add', edge })),
    ]);
    const ids = nodes.map((n) => n.id);
    this.select(ids, []);
    return ids;
  }

  /** Shows a message to the person (a refused connection, a failed import). */
  notice(
    kind: Notice['kind'],
    code: string,
    message: string,
    about: Pick<Notice, 'connection' | 'at'> = {},
  ): void {
    this.noticeSeq += 1;
    this.set({ notice: { kind, code, message, seq: this.noticeSeq, ...about } });
  }

  /** Hides the current message. */
  dismissNotice(): void {
    if (this.state.notice) this.set({ notice: undefined });
  }

  private scheduleExplain(): void {
    if (this.explainTimer !== undefined) clearTimeout(this.explainTimer);
    this.explainTimer = undefined;
    if (!this.runtime) return;
    this.explainTimer = setTimeout(() => {
      this.explainTimer = undefined;
      void this.refreshExplain();
    }, this.explainDelayMs);
  }

  /** Asks the runtime what would run and what it would cost, now. Stale answers are dropped. */
  async refreshExplain(): Promise<void> {
    const runtime = this.runtime;
    if (!runtime) return;
    const seq = ++this.explainSeq;
    const doc = this.state.doc;
    // Explain and estimate of an invalid graph only repeat validation's complaints.
    if (this.state.issues.length > 0) {
      this.set({ explain: new Map(), estimate: undefined, estimateByNode: new Map() });
      return;
    }
    try {
      // one call per keystroke: each estimate node is its explain entry (will run, why, key) plus its cost
      const estimate = await runtime.estimate(doc);
      if (seq !== this.explainSeq) return;
      const byNode = new Map(estimate.nodes.map((n) => [n.nodeId, n]));
      this.set({ explain: byNode, estimate, estimateByNode: byNode });
    } catch (error) {
      if (seq !== this.explainSeq) return;
      this.set({ explain: new Map(), estimate: undefined, estimateByNode: new Map() });
      // a refusal (a server's 401, a store that is down) is said once, not on every keystroke
      const code = (error as { code?: unknown } | null)?.code;
      const said = typeof code === 'string' ? code : 'explain.failed';
      if (this.state.notice?.code !== said) {
        const why = error instanceof Error ? error.message : String(error);
        this.notice('error', said, `The runtime did not say what would run or what it costs: ${why}`);
      }
    }
  }

  /** Runs the graph (or only what `targets` need); events update each node's state. */
  async run(targets?: string[]): Promise<void> {
    const runtime = this.runtime;
    if (!runtime) {
      this.notice('error', 'editor.no-runtime', 'There is no runtime to run this graph on.');
      return;
    }
    if (this.state.run.status === 'running' || this.state.run.status === 'starting') {
      this.notice('info', 'run.busy', 'A run is already going; cancel it first.');
      return;
    }
    if (this.state.issues.length > 0) {
      const first = this.state.issues[0]!;
      this.notice(
        'error',
        'run.invalid',
        `The graph has ${this.state.issues.length} problem(s) to fix first: ${first.message}`,
      );
      return;
    }
    this.setRun({ status: 'starting' });
    let handle: RunHandleLike;
    try {
      handle = await runtime.run(this.state.doc, targets && targets.length > 0 ? { targets } : {});
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.setRun({ status: 'failed', error: message });
      this.notice('error', 'run.failed-to-start', `The run could not start: ${message}`);
      return;
    }
    await this.attachRun(handle);
  }

  /**
   * Shows a run the host started itself (a resumed run, one from another tab): its events update each
   * node's state until it ends. Resolves when the run does.
   */
  async attachRun(handle: RunHandleLike): Promise<void> {
    this.unsubscribeRun?.();
    this.handle = handle;
    this.setRun(
      { runId: handle.runId, status: 'running' },
      createRunStateFold(initialRunState(handle.runId, 0)),
    );
    this.unsubscribeRun = handle.subscribe((event) => this.onRunEvent(handle.runId, event));
    try {
      const result = await handle.result.then(
        (r) => r,
        () => undefined,
      );
      if (result) this.applyResult(handle.runId, result);
      // A run that ends without a run.finished event (a remote connection lost) still ends here.
      const after: RunView = this.state.run;
      if (after.runId === handle.runId && after.status === 'running') {
        this.setRun({
          runId: handle.runId,
          status: 'failed',
          error: 'The run ended without reporting its result.',
        });
      }
    } finally {
      if (this.handle === handle) {
        this.unsubscribeRun?.();
        this.unsubscribeRun = undefined;
        this.handle = undefined;
      }
      this.scheduleExplain();
    }
  }

  /**
   * Shows an earlier, finished run (a record from `runtime.getRun`/`listRuns`) on the canvas: each node of the
   * current document that the run reached shows its state and outputs. Refused (false, with a notice) while a run
   * is going or for a run still recorded as running.
   */
  showRun(record: RunRecord): boolean {
    if (this.state.run.status === 'running' || this.state.run.status === 'starting') {
      this.notice('info', 'run.busy', 'A run is going: an earlier run can be reopened once it ends.');
      return false;
    }
    const result = resultOfRecord(record);
    if (!result) {
      this.notice(
        'info',
        'history.running',
        `Run ${record.runId} has not finished: it cannot be reopened yet.`,
      );
      return false;
    }
    this.unsubscribeRun?.();
    this.unsubscribeRun = undefined;
    this.handle = undefined;
    const fold = createRunStateFold(initialRunState(record.runId, record.startedAt));
    for (const event of eventsOfResult(result, fold)) fold.apply(event);
    const fields: RunFields = { runId: record.runId, status: result.status };
    if (record.error) fields.error = record.error.message;
    this.setRun(fields, fold);
    return true;
  }

  // The result settles what the events did not say: a run that ended before the editor subscribed, events
  // of an older runtime without outputs, the run's final status.
  private applyResult(runId: string, result: RunResult): void {
    const fold = this.runFold;
    if (this.state.run.runId !== runId || !fold) return;
    for (const event of eventsOfResult(result, fold)) fold.apply(event);
    this.setRun({ ...this.runFields(), status: result.status });
  }

  /** Cancels the current run. */
  cancel(): void {
    const handle = this.handle;
    if (!handle) return;
    handle.cancel();
  }

  /**
   * Applies one run event to the node states with core's fold (exposed for hosts that receive events
   * themselves). O(1): only the event's node is told, and only its view is new.
   */
  onRunEvent(runId: string, event: RunEvent): void {
    const fold = this.runFold;
    if (this.state.run.runId !== runId || !fold || !fold.apply(event)) return;
    const fields = this.runFields();
    if (event.type === 'run.finished') fields.status = event.status;
    if ('nodeId' in event) {
      this.oneNode.clear();
      this.touchedNodes = this.oneNode.add(event.nodeId);
    }
    try {
      this.setRun(fields, fold);
    } finally {
      this.touchedNodes = undefined;
    }
  }

  private runFields(): RunFields {
    const { runId, status, error } = this.state.run;
    const fields: RunFields = { status };
    if (runId !== undefined) fields.runId = runId;
    if (error !== undefined) fields.error = error;
    return fields;
  }

  // a run view over `fold` (the shown run's, when not given: a run that has not started has none)
  private setRun(fields: RunFields, fold: RunStateFold | undefined = this.runFold): void {
    if (fields.runId === undefined) this.runFold = undefined;
    else this.runFold = fold;
    this.set({ run: createRunView(fields, this.runFold) });
  }

  /** Stops timers and the run subscription (the component calls it on unmount). */
  destroy(): void {
    if (this.explainTimer !== undefined) clearTimeout(this.explainTimer);
    this.explainTimer = undefined;
    this.explainSeq += 1;
    this.unsubscribeRun?.();
    this.unsubscribeRun = undefined;
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

/**
 * Creates the editor store.
 *
 * @example
 * const store = createEditorStore({ catalogue: createCatalogue([loraPack]), document: doc });
 */
export function createEditorStore(options: EditorStoreOptions): EditorStore {
  return new EditorStore(options);
}
