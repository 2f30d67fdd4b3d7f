import type { GraphEdge, GraphNode, Issue } from '@loraflow/core';
import { Handle, type NodeProps, Position } from '@xyflow/react';
import { memo, useContext, useMemo, useRef } from 'react';
import { type Catalogue, type ResolvedPort, typeColour, typeFamily } from '../catalogue';
import { findImages, type ImageRef, useBlobUrl } from '../images';
import { type ParamField, paramFields } from '../params';
import { sameArray, useEditorContext, useNodeState } from '../react/context';
import type { ExplainEntry, NodeEstimate } from '../runtime-types';
import type { EditorState, NodeRunView } from '../store/editor-store';
import { explainText } from './explain';
import { schemaOf } from './json-schema';
import { CompactContext } from './lod';
import { ModelPickerButton } from './ModelPicker';
import { costText, headlineFields, NodeContent, nodeDisplayName, type SettingsGroup } from './NodeContent';
import { useOpenViewer } from './viewer-context';

/** A node type's param fields (titles, units, advanced), made once per definition's schema. */
export function fieldsOfType(catalogue: Catalogue, type: string): readonly ParamField[] {
  return paramFields(schemaOf(catalogue.definition(type)?.params));
}

const samePorts = (a: ResolvedPort[], b: ResolvedPort[]) =>
  a.length === b.length &&
  a.every(
    (p, i) => p.name === b[i]?.name && p.typeLabel === b[i]?.typeLabel && p.type?.kind === b[i]?.type?.kind,
  );

const sameExplain = (a: ExplainEntry | undefined, b: ExplainEntry | undefined) =>
  a === b ||
  (a !== undefined && b !== undefined && a.willRun === b.willRun && explainText(a) === explainText(b));

const sameIssues = (a: readonly Issue[] | undefined, b: readonly Issue[] | undefined) =>
  sameArray(
    a?.map((i) => i.message),
    b?.map((i) => i.message),
  );

interface NodeView {
  node: GraphNode | undefined;
  outputs: ResolvedPort[];
  issues: readonly Issue[] | undefined;
  explain: ExplainEntry | undefined;
  run: NodeRunView | undefined;
  estimate: NodeEstimate | undefined;
  incoming: readonly GraphEdge[] | undefined;
  /** The display name of each incoming edge's source, in order. */
  sources: string[];
  readOnly: boolean;
}

// A node draws nothing of its position: a move (a drag's every pointer move) must not re-render it.
const sameButPosition = (a: GraphNode | undefined, b: GraphNode | undefined) =>
  a === b ||
  (a !== undefined && b !== undefined && a.type === b.type && a.params === b.params && a.label === b.label);

const sameView = (a: NodeView, b: NodeView) =>
  sameButPosition(a.node, b.node) &&
  a.run === b.run &&
  a.incoming === b.incoming &&
  a.readOnly === b.readOnly &&
  costText(a.estimate) === costText(b.estimate) &&
  sameArray(a.sources, b.sources) &&
  samePorts(a.outputs, b.outputs) &&
  sameIssues(a.issues, b.issues) &&
  sameExplain(a.explain, b.explain);

function statusLabel(run: NodeRunView | undefined): string | undefined {
  if (!run || run.status === 'idle') return undefined;
  return run.status;
}

function formatRemaining(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

/** Queue position and remaining time from a progress event's detail, in words. */
export function progressDetail(detail: Record<string, unknown> | undefined): string | undefined {
  if (!detail) return undefined;
  const parts: string[] = [];
  // The LoRA pack reports Scenario's `position` and `remainingTimeMs`; other packs may use these other names.
  const queue = detail.position ?? detail.queuePosition ?? detail.queue;
  if (typeof queue === 'number' && queue > 0) parts.push(`#${queue} in queue`);
  const remainingMs =
    typeof detail.remainingTimeMs === 'number'
      ? detail.remainingTimeMs
      : typeof detail.remainingMs === 'number'
        ? detail.remainingMs
        : typeof detail.remainingSeconds === 'number'
          ? detail.remainingSeconds * 1000
          : typeof detail.etaSeconds === 'number'
            ? detail.etaSeconds * 1000
            : undefined;
  if (remainingMs !== undefined) parts.push(`${formatRemaining(remainingMs)} left`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

function Thumb(props: { images: readonly ImageRef[]; index: number; title: string }) {
  const { runtime } = useEditorContext();
  const open = useOpenViewer();
  const image = props.images[props.index]!;
  const src = useBlobUrl(runtime, image);
  const alt = `${props.title} output ${props.index + 1}`;
  if (!src) return <span className="lf-thumb lf-thumb--loading" />;
  if (!open) return <img className="lf-thumb" src={src} alt={alt} />;
  return (
    <button
      type="button"
      className="lf-thumb__button nodrag"
      aria-label={`Enlarge ${alt}`}
      onClick={() => open({ images: props.images, index: props.index, title: props.title })}
    >
      <img className="lf-thumb" src={src} alt={alt} />
    </button>
  );
}

function sourceNames(s: EditorState, catalogue: Catalogue, incoming: readonly GraphEdge[] | undefined) {
  if (!incoming) return [];
  return incoming.map((e) => {
    const src = s.nodesById.get(e.from.node);
    if (!src) return e.from.node;
    const title = catalogue.definition(src.type)?.title ?? src.type;
    return nodeDisplayName(src, title, fieldsOfType(catalogue, src.type), s.run.node(src.id)?.outputs);
  });
}

// A port is a keyboard stop: Enter starts or ends a connection there (see keyboardWiring).
const portName = (port: ResolvedPort, side: 'in' | 'out', node: string) =>
  `${side === 'in' ? 'Input' : 'Output'} ${port.label} (${port.typeLabel}) of ${node}`;

function PortRow({ port, side, node }: { port: ResolvedPort; side: 'in' | 'out'; node: string }) {
  return (
    <div className={`lf-port lf-port--${side}`} data-port={port.name}>
      <Handle
        type={side === 'in' ? 'target' : 'source'}
        position={side === 'in' ? Position.Left : Position.Right}
        id={port.name}
        tabIndex={0}
        role="button"
        aria-label={portName(port, side, node)}
        className="lf-handle"
        style={{ background: typeColour(port.type) }}
      />
      <span className="lf-port__label">
        {port.label}
        {side === 'in' && port.multiple ? ' []' : ''}
        {side === 'in' && port.optional ? '?' : ''}
      </span>
      <span className="lf-port__type">{port.typeLabel}</span>
    </div>
  );
}

// Compact level of detail: a bare handle per port, spread down the side so wires still fan out.
function BareHandles({ ports, side }: { ports: ResolvedPort[]; side: 'in' | 'out' }) {
  return ports.map((port, i) => (
    <Handle
      key={port.name}
      type={side === 'in' ? 'target' : 'source'}
      position={side === 'in' ? Position.Left : Position.Right}
      id={port.name}
      className="lf-handle"
      style={{ background: typeColour(port.type), top: `${((i + 1) * 100) / (ports.length + 1)}%` }}
    />
  ));
}

/**
 * One node on the canvas. It reads only its own slice of the store, so editing one node's params
 * re-renders that node alone.
 */
export const LoraNode = memo(LoraNodeView, sameNodeProps);

// What the node draws depends on its id and selection only (the rest comes from the store): a move or a
// measurement, which changes React Flow's other props, must not re-render it.
function sameNodeProps(a: NodeProps, b: NodeProps): boolean {
  return a.id === b.id && a.selected === b.selected;
}

// long because it is the node's one view: header, body, ports and run state share its hooks; moving them out would pass a dozen props down
function LoraNodeView({ id, selected }: NodeProps) {
  const { store, onNodeRender } = useEditorContext();
  onNodeRender?.(id);
  // One subscription per node (not one per field): 1,000 nodes mean 1,000 listeners, not 5,000. When none of
  // the slices changed (every other node during a drag), the previous view is returned without allocating.
  const last = useRef<{ typesDoc: unknown; view: NodeView } | null>(null);
  const view = useNodeState(
    id,
    (s): NodeView => {
      const current = s.nodesById.get(id);
      const issues = s.issuesByNode.get(id);
      const explain = s.explain.get(id);
      const run = s.run.node(id);
      const estimate = s.estimateByNode.get(id);
      const incoming = s.edgesByTarget.get(id);
      const prev = last.current;
      // a source's name may change with any edit but a move; a drag tells only the moved nodes
      const sources = sourceNames(s, store.catalogue, incoming);
      if (
        prev &&
        prev.typesDoc === s.typesDoc &&
        sameButPosition(prev.view.node, current) &&
        prev.view.issues === issues &&
        prev.view.explain === explain &&
        prev.view.run === run &&
        prev.view.estimate === estimate &&
        prev.view.incoming === incoming &&
        prev.view.readOnly === s.readOnly &&
        sameArray(prev.view.sources, sources)
      ) {
        return prev.view;
      }
      const next: NodeView = {
        node: current,
        outputs: current ? store.catalogue.outputs(current, s.typesDoc) : [],
        issues,
        explain,
        run,
        estimate,
        incoming,
        sources,
        readOnly: s.readOnly,
      };
      last.current = { typesDoc: s.typesDoc, view: next };
      return next;
    },
    sameView,
  );
  const { node, outputs, issues, explain, run, estimate, incoming, sources, readOnly } = view;
  // Zoomed out, only the title and bare handles; a selected node keeps every detail.
  const compact = useContext(CompactContext) && !selected;
  const def = node ? store.catalogue.definition(node.type) : undefined;
  const inputs = useMemo(
    // input types follow params, which only structural edits change: typesDoc is the one resolved
    () => (node ? store.catalogue.inputs(node, store.getState().typesDoc) : []),
    [node, store],
  );
  const images = useMemo(() => findImages(run?.outputs), [run?.outputs]);
  const groups = useMemo((): SettingsGroup[] => {
    if (!node || !def || !incoming) return [];
    const out: SettingsGroup[] = [];
    for (const [port, spec] of Object.entries(def.inputs ?? {})) {
      if (!spec.settings) continue;
      // the first number setting (a LoRA's scale or strength) is the one worth a place on the node
      const field = paramFields(schemaOf(spec.settings)).find((f) =>
        ['number', 'integer'].includes(String(f.schema.type)),
      );
      if (!field) continue;
      const edges = incoming.flatMap((edge, i) =>
        edge.to.port === port ? [{ edge, sourceName: sources[i] ?? edge.from.node }] : [],
      );
      if (edges.length > 0) out.push({ port, label: spec.label ?? port, field, edges });
    }
    return out;
  }, [node, def, incoming, sources]);
  if (!node) return null;
  const headline = compact
    ? []
    : headlineFields(
        fieldsOfType(store.catalogue, node.type),
        node.params,
        new Set(incoming?.map((e) => e.to.port)),
      );
  const family = outputs.length === 1 ? typeFamily(outputs[0]?.type) : undefined;
  const title = def?.title ?? node.type;
  const status = statusLabel(run);
  const detail = progressDetail(run?.detail);
  const invalid = issues !== undefined && issues.length > 0;
  return (
    <div
      className={compact ? 'lf-node lf-node--compact' : 'lf-node'}
      data-status={run?.status ?? 'idle'}
      data-invalid={invalid || undefined}
      data-selected={selected || undefined}
      data-testid={`node-${id}`}
      data-category={def?.category}
    >
      {/* Zoomed out, the title is bare text: no header, badges, subtitle or port labels. */}
      {compact ? (
        (node.label ?? title)
      ) : (
        <div className="lf-node__header">
          <span className="lf-node__title" title={node.type}>
            {node.label ?? title}
          </span>
          {status && (
            <span className="lf-badge lf-badge--status" data-status={run?.status}>
              {status}
            </span>
          )}
          {family && (
            <span
              className="lf-badge lf-badge--family"
              style={{ borderColor: typeColour(outputs[0]?.type) }}
              title={outputs[0]?.typeLabel}
            >
              {family}
            </span>
          )}
          {!status && explain && (
            <span
              className="lf-badge lf-badge--explain"
              data-will-run={explain.willRun}
              title={explainText(explain)}
            >
              {explain.willRun ? 'will run' : 'cached'}
            </span>
          )}
        </div>
      )}
      {!compact && node.label !== undefined && <div className="lf-node__subtitle">{title}</div>}
      {compact ? (
        <>
          <BareHandles ports={inputs} side="in" />
          <BareHandles ports={outputs} side="out" />
        </>
      ) : (
        <div className="lf-node__ports">
          <div className="lf-node__inputs">
            {inputs.map((p) => (
              <PortRow key={p.name} port={p} side="in" node={node.label ?? id} />
            ))}
          </div>
          <div className="lf-node__outputs">
            {outputs.map((p) => (
              <PortRow key={p.name} port={p} side="out" node={node.label ?? id} />
            ))}
          </div>
        </div>
      )}
      {!compact && (headline.length > 0 || groups.length > 0 || estimate || run?.outputs || explain) && (
        <NodeContent
          node={node}
          headline={headline}
          groups={groups}
          run={run}
          explain={explain}
          estimate={estimate}
          readOnly={readOnly}
        />
      )}
      {!compact && selected && <ModelPickerButton nodeId={id} compact />}
      {run?.status === 'running' && (
        <div
          className="lf-node__progress"
          role="progressbar"
          aria-label={`${node.label ?? title} progress`}
          aria-valuenow={Math.round((run.fraction ?? 0) * 100)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div className="lf-node__bar" style={{ width: `${Math.round((run.fraction ?? 0) * 100)}%` }} />
          <span className="lf-node__progress-text">
            {Math.round((run.fraction ?? 0) * 100)}%{run.message ? ` · ${run.message}` : ''}
            {detail ? ` · ${detail}` : ''}
          </span>
        </div>
      )}
      {run?.status === 'failed' && run.error && (
        <div className="lf-node__error" role="alert">
          {run.error.message}
        </div>
      )}
      {run?.status === 'skipped' && run.because && (
        <div className="lf-node__note">skipped: {run.because}</div>
      )}
      {invalid && (
        <ul className="lf-node__issues">
          {issues.slice(0, 3).map((issue) => (
            <li key={`${issue.code}:${issue.path.join('.')}:${issue.message}`} title={issue.code}>
              {issue.message}
            </li>
          ))}
          {issues.length > 3 && <li>and {issues.length - 3} more</li>}
        </ul>
      )}
      {images.length > 0 && (
        <div className="lf-node__images">
          {images.map((image, i) => (
            <Thumb key={image.hash} images={images} index={i} title={node.label ?? title} />
          ))}
        </div>
      )}
    </div>
  );
}
