import type { GraphEdge, GraphNode } from '@loraflow/core';
import {
  type Connection,
  Controls,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  MiniMap,
  type Node,
  type NodeChange,
  type OnConnectStartParams,
  ReactFlow,
  type ReactFlowState,
  useReactFlow,
  useStore,
  useUpdateNodeInternals,
} from '@xyflow/react';
import { type DragEvent, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { typeColour } from '../catalogue';
import { useEditorContext, useEditorState } from '../react/context';
import { clearCompatibility, edgeEnds, keyboardWiring, markCompatibility } from './connection-cues';
import { GridBackground } from './GridBackground';
import { LoraNode } from './LoraNode';
import { COMPACT_BELOW_ZOOM, CompactContext, estimateViewport } from './lod';

const MIN_ZOOM = 0.05;

const nodeTypes = { loraflow: LoraNode };
// Props React Flow compares by identity: made once, not per render (a drag renders the canvas every frame).
const MULTI_SELECTION_KEYS = ['Meta', 'Control'];
const PRO_OPTIONS = { hideAttribution: true };
/**
 * The MIME type the palette puts on a dragged node type.
 *
 * @example
 * event.dataTransfer.setData(NODE_DRAG_MIME, 'lora.compose'); // a host's own palette
 */
export const NODE_DRAG_MIME = 'application/x-loraflow-node-type';

interface CachedNode {
  source: GraphNode;
  selected: boolean;
  measured: { width: number; height: number } | undefined;
  flow: Node;
}

interface CachedEdge {
  source: GraphEdge;
  selected: boolean;
  invalid: boolean;
  colour: string;
  flow: Edge;
}

/** Where a connection dropped on empty canvas started, so the palette can offer compatible nodes. */
export interface PendingConnection {
  from: { node: string; port: string } | undefined;
  to: { node: string; port: string } | undefined;
  position: { x: number; y: number };
}

interface CanvasProps {
  onPaneDropConnection(pending: PendingConnection): void;
  onImportFile(file: File): void;
  showMinimap: boolean;
}

/**
 * The React Flow canvas bound to the editor store. Its size is read (before paint) first, so the starting
 * viewport, and with it the level of detail, comes from the document instead of a zoom-1 render then a fit.
 */
export function Canvas(props: CanvasProps) {
  const { store } = useEditorContext();
  const probe = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState<{ x: number; y: number; zoom: number } | null>(null);
  useLayoutEffect(() => {
    if (viewport || !probe.current) return;
    const { width, height } = probe.current.getBoundingClientRect();
    setViewport(
      estimateViewport(store.getState().doc, { width, height }, MIN_ZOOM) ?? { x: 0, y: 0, zoom: 1 },
    );
  }, [viewport, store]);
  if (!viewport) return <div ref={probe} className="lf-canvas__probe" />;
  return <Flow {...props} defaultViewport={viewport} />;
}

// long because React Flow's nodes, edges and change handlers share the node and edge caches this component keeps in refs; each hook is short
function Flow(props: CanvasProps & { defaultViewport: { x: number; y: number; zoom: number } }) {
  const { store } = useEditorContext();
  const doc = useEditorState((s) => s.doc);
  const selectedNodes = useEditorState((s) => s.selectedNodes);
  const selectedEdges = useEditorState((s) => s.selectedEdges);
  const issuesByEdge = useEditorState((s) => s.issuesByEdge);
  const typesDoc = useEditorState((s) => s.typesDoc);
  const flowRef = useRef<HTMLDivElement>(null);
  useEffect(() => (flowRef.current ? keyboardWiring(flowRef.current, store) : undefined), [store]);
  const readOnly = useEditorState((s) => s.readOnly);
  const flow = useReactFlow();
  const startZoom = props.defaultViewport.zoom;
  // Until React Flow's pan-zoom starts (an effect after the first commit), its transform is zoom 1, not ours.
  const zoomedOut = useCallback(
    (s: ReactFlowState) => (s.panZoom ? s.transform[2] : startZoom) < COMPACT_BELOW_ZOOM,
    [startZoom],
  );
  const compact = useStore(zoomedOut);
  const updateNodeInternals = useUpdateNodeInternals();
  const compactBefore = useRef(compact);
  useEffect(() => {
    if (compactBefore.current === compact) return;
    compactBefore.current = compact;
    // The handles moved inside every node: React Flow must measure them again for the wires to meet them.
    updateNodeInternals(store.getState().doc.nodes.map((n) => n.id));
  }, [compact, store, updateNodeInternals]);
  // React Flow measures nodes and tells us through 'dimensions' changes; kept here so node objects can be reused.
  const measured = useRef(new Map<string, { width: number; height: number }>());
  const [measuredVersion, setMeasuredVersion] = useState(0);
  const nodeCache = useRef(new Map<string, CachedNode>());
  const edgeCache = useRef(new Map<string, CachedEdge>());
  // A drag's positions live here until it ends (one store edit then): a pointer move re-renders this component
  // and hands React Flow a new list, as a bare React Flow page does, and nothing else (no immer, history,
  // document listeners or store subscribers per frame).
  const dragging = useRef(new Map<string, { x: number; y: number }>());
  const [dragVersion, setDragVersion] = useState(0);
  const synced = useRef<{ base: Node[]; index: Map<string, number> } | undefined>(undefined);

  // biome-ignore lint/correctness/useExhaustiveDependencies: measuredVersion invalidates the measured sizes read from the ref
  const baseNodes = useMemo(() => {
    const next = new Map<string, CachedNode>();
    const list: Node[] = [];
    for (const source of doc.nodes) {
      const selected = selectedNodes.has(source.id);
      const size = measured.current.get(source.id);
      const cached = nodeCache.current.get(source.id);
      let entry: CachedNode;
      if (cached && cached.source === source && cached.selected === selected && cached.measured === size) {
        entry = cached;
      } else if (
        cached &&
        cached.selected === selected &&
        cached.measured === size &&
        cached.source.position === source.position
      ) {
        // Only params or label changed: the node component reads those itself, so React Flow keeps its wrapper.
        entry = { ...cached, source };
      } else {
        const flowNode: Node = {
          id: source.id,
          type: 'loraflow',
          position: source.position ?? { x: 0, y: 0 },
          data: {},
          selected,
        };
        if (size) flowNode.measured = size;
        entry = { source, selected, measured: size, flow: flowNode };
      }
      next.set(source.id, entry);
      list.push(entry.flow);
    }
    nodeCache.current = next;
    return list;
  }, [doc.nodes, selectedNodes, measuredVersion]);

  // The store's nodes with the dragged ones where the pointer put them: a copy of the list with those few replaced.
  // biome-ignore lint/correctness/useExhaustiveDependencies: dragVersion invalidates the positions read from the ref
  const nodes = useMemo(() => {
    if (dragging.current.size === 0) {
      synced.current = undefined;
      return baseNodes;
    }
    let s = synced.current;
    if (s?.base !== baseNodes) {
      s = { base: baseNodes, index: new Map(baseNodes.map((n, i) => [n.id, i])) };
      synced.current = s;
    }
    const list = baseNodes.slice();
    for (const [id, position] of dragging.current) {
      const i = s.index.get(id);
      const node = i === undefined ? undefined : list[i];
      if (i !== undefined && node) list[i] = { ...node, position, dragging: true };
    }
    return list;
  }, [baseNodes, dragVersion]);

  // Ends a drag: its last positions become one store edit (one undo step), the overlay empties.
  const commitDrag = useCallback(() => {
    const held = dragging.current;
    if (held.size === 0) return;
    const moves = [...held].map(([id, p]) => ({ id, x: Math.round(p.x), y: Math.round(p.y) }));
    held.clear();
    store.moveNodes(moves);
    setDragVersion((v) => v + 1);
  }, [store]);

  const edges = useMemo(() => {
    const next = new Map<string, CachedEdge>();
    const list: Edge[] = [];
    const resolved = store.catalogue.resolve(typesDoc);
    for (const source of doc.edges) {
      const selected = selectedEdges.has(source.id);
      const invalid = issuesByEdge.has(source.id);
      // a wire takes its source port's colour: a FLUX.1 LoRA wire differs from an SDXL one
      const colour = typeColour(resolved.outputTypes(source.from.node)?.[source.from.port]);
      const cached = edgeCache.current.get(source.id);
      let entry: CachedEdge;
      if (
        cached &&
        cached.source === source &&
        cached.selected === selected &&
        cached.invalid === invalid &&
        cached.colour === colour
      ) {
        entry = cached;
      } else {
        const flowEdge: Edge = {
          id: source.id,
          source: source.from.node,
          sourceHandle: source.from.port,
          target: source.to.node,
          targetHandle: source.to.port,
          selected,
          className: invalid ? 'lf-edge lf-edge--invalid' : 'lf-edge',
          style: { stroke: colour },
        };
        const scale = source.settings?.scale;
        // Labels cost a text measurement per edge: the scale is shown on the selected wire only.
        if (typeof scale === 'number' && selected) flowEdge.label = `× ${scale}`;
        if (invalid) flowEdge.label = `⚠ ${flowEdge.label ?? ''}`.trim();
        entry = { source, selected, invalid, colour, flow: flowEdge };
      }
      next.set(source.id, entry);
      list.push(entry.flow);
    }
    edgeCache.current = next;
    return list;
  }, [doc.edges, selectedEdges, issuesByEdge, typesDoc, store]);

  const onNodesChange = useCallback(
    (changes: NodeChange[]) => {
      const moves: Array<{ id: string; x: number; y: number }> = [];
      let selection: Set<string> | undefined;
      let sized = false;
      let dragged = false;
      for (const change of changes) {
        if (change.type === 'dimensions' && change.dimensions) {
          const prev = measured.current.get(change.id);
          if (!prev || prev.width !== change.dimensions.width || prev.height !== change.dimensions.height) {
            measured.current.set(change.id, {
              width: change.dimensions.width,
              height: change.dimensions.height,
            });
            sized = true;
          }
        } else if (change.type === 'position' && change.position) {
          if (change.dragging) {
            dragging.current.set(change.id, change.position);
            dragged = true;
          } else {
            // a drag's last move, or a move by the arrow keys: into the store now
            dragging.current.delete(change.id);
            moves.push({ id: change.id, x: Math.round(change.position.x), y: Math.round(change.position.y) });
          }
        } else if (change.type === 'select') {
          selection ??= new Set(store.getState().selectedNodes);
          if (change.selected) selection.add(change.id);
          else selection.delete(change.id);
        }
      }
      if (moves.length > 0) {
        // the rest of the drag (nodes React Flow did not name in its last change) lands in the same edit
        for (const [id, p] of dragging.current) moves.push({ id, x: Math.round(p.x), y: Math.round(p.y) });
        dragging.current.clear();
        store.moveNodes(moves);
      }
      if (dragged || moves.length > 0) setDragVersion((v) => v + 1);
      if (selection) store.select(selection, store.getState().selectedEdges);
      if (sized) setMeasuredVersion((v) => v + 1);
    },
    [store],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      let selection: Set<string> | undefined;
      for (const change of changes) {
        if (change.type === 'select') {
          selection ??= new Set(store.getState().selectedEdges);
          if (change.selected) selection.add(change.id);
          else selection.delete(change.id);
        }
      }
      if (selection) store.select(store.getState().selectedNodes, selection);
    },
    [store],
  );

  const onNodeDragStop = commitDrag;

  const isValidConnection = useCallback(
    (c: Connection | Edge) => {
      if (!c.sourceHandle || !c.targetHandle) return false;
      return store.checkConnection(
        { node: c.source, port: c.sourceHandle },
        { node: c.target, port: c.targetHandle },
      ).ok;
    },
    [store],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (!c.sourceHandle || !c.targetHandle) return;
      store.connect({ node: c.source, port: c.sourceHandle }, { node: c.target, port: c.targetHandle });
    },
    [store],
  );

  const onConnectStart = useCallback(
    (_: MouseEvent | TouchEvent, start: OnConnectStartParams) => {
      // a new drag: the last refusal no longer applies
      if (store.getState().notice?.kind === 'refusal') store.dismissNotice();
      if (!flowRef.current || !start.nodeId || !start.handleId || !start.handleType) return;
      markCompatibility(flowRef.current, store, {
        nodeId: start.nodeId,
        handleId: start.handleId,
        handleType: start.handleType,
      });
    },
    [store],
  );

  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (flowRef.current) clearCompatibility(flowRef.current);
      const fromHandle = state.fromHandle;
      if (!fromHandle?.id) return;
      const fromEnd = { node: fromHandle.nodeId, port: fromHandle.id };
      const toHandle = state.toHandle;
      const point = 'changedTouches' in event ? event.changedTouches[0] : event;
      if (toHandle?.id && !state.isValid) {
        // The same sentence the engine's validation gives, told to the person where the wire was dropped.
        const [from, to] = edgeEnds(
          { nodeId: fromHandle.nodeId, handleId: fromHandle.id, handleType: fromHandle.type },
          { node: toHandle.nodeId, port: toHandle.id },
        );
        const checked = store.checkConnection(from, to);
        const rect = flowRef.current?.getBoundingClientRect();
        if (!checked.ok)
          store.notice('refusal', checked.issues[0]!.code, checked.issues[0]!.message, {
            connection: { from, to },
            ...(point && rect ? { at: { x: point.clientX - rect.left, y: point.clientY - rect.top } } : {}),
          });
        return;
      }
      if (!toHandle && !readOnly) {
        if (!point) return;
        const position = flow.screenToFlowPosition({ x: point.clientX, y: point.clientY });
        props.onPaneDropConnection({
          from: fromHandle.type === 'source' ? fromEnd : undefined,
          to: fromHandle.type === 'target' ? fromEnd : undefined,
          position,
        });
      }
    },
    [store, flow, props.onPaneDropConnection, readOnly],
  );

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(NODE_DRAG_MIME) || e.dataTransfer.types.includes('Files')) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(NODE_DRAG_MIME);
      if (type) {
        e.preventDefault();
        if (!readOnly) store.addNode(type, flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
        return;
      }
      const file = e.dataTransfer.files[0];
      if (file) {
        e.preventDefault();
        props.onImportFile(file);
      }
    },
    [store, flow, readOnly, props.onImportFile],
  );

  // The same elements every render, so a drag frame's render of this component stops at React Flow.
  const overlays = useMemo(
    () => (
      <>
        <GridBackground />
        <RefusalAtDrop />
        <Controls showInteractive={false} />
        {props.showMinimap && <MiniMap pannable zoomable className="lf-minimap" />}
      </>
    ),
    [props.showMinimap],
  );

  return (
    <CompactContext.Provider value={compact}>
      <ReactFlow
        ref={flowRef}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onConnect={onConnect}
        onConnectStart={onConnectStart}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onDragOver={onDragOver}
        onDrop={onDrop}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        edgesReconnectable={false}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={MULTI_SELECTION_KEYS}
        minZoom={MIN_ZOOM}
        defaultViewport={props.defaultViewport}
        fitView
        proOptions={PRO_OPTIONS}
      >
        {overlays}
      </ReactFlow>
    </CompactContext.Provider>
  );
}

/** A refused connection's sentence where the wire was dropped; it goes when the notice does. */
function RefusalAtDrop() {
  const notice = useEditorState((s) => s.notice);
  if (notice?.kind !== 'refusal' || !notice.at) return null;
  return (
    <div
      className="lf-refusal"
      data-code={notice.code}
      data-testid="refusal-at-drop"
      style={{ left: notice.at.x, top: notice.at.y }}
    >
      {notice.message}
    </div>
  );
}
