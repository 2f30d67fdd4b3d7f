import type { GraphEdge, GraphNode } from '@loraflow/core';
import { type KeyboardEvent, useState } from 'react';
import { useModelThumbnailUrl } from '../images';
import type { ParamField } from '../params';
import { useEditorContext } from '../react/context';
import type { ExplainEntry, NodeEstimate } from '../runtime-types';
import type { NodeRunView } from '../store/editor-store';
import { explainText } from './explain';
import { builtinWidgetName } from './json-schema';

/** A param shown on the node itself: a single-line or multi-line text a person reads at a glance. */
export interface HeadlineField {
  field: ParamField;
  multiline: boolean;
}

/**
 * The params a node shows on the canvas: its first one-line text param (a name, a model id) and its
 * multi-line ones (a prompt), at most three, not folded away as advanced, set or required, and not fed by
 * a connected input of the same name.
 *
 * @example
 * headlineFields(paramFields(schemaOf(def.params)), node.params); // [{ field: prompt, multiline: true }]
 */
export function headlineFields(
  fields: readonly ParamField[],
  params: Readonly<Record<string, unknown>> | undefined,
  connected: ReadonlySet<string> = new Set(),
): HeadlineField[] {
  const out: HeadlineField[] = [];
  for (const field of fields) {
    // a param named like a connected input (a generation's prompt) gives way to the wire
    if (field.advanced || out.length >= 3 || connected.has(field.name)) continue;
    const widget = builtinWidgetName(field.name, field.schema);
    if (widget !== 'text' && widget !== 'textarea') continue;
    const value = params?.[field.name];
    const set = typeof value === 'string' && value !== '';
    if (!set && field.clearable) continue;
    const multiline = widget === 'textarea';
    if (!multiline && out.some((h) => !h.multiline)) continue;
    out.push({ field, multiline });
  }
  return out;
}

/**
 * What a node is called in a list (a composition's LoRAs): its label, else its first one-line text param
 * (a model id, a name), else its type's title.
 *
 * @example
 * nodeDisplayName(node, 'LoRA', fields); // 'model_flux1-watercolor'
 */
export function nodeDisplayName(
  node: GraphNode,
  title: string,
  fields: readonly ParamField[],
  outputs?: Readonly<Record<string, unknown>>,
): string {
  if (node.label) return node.label;
  const named = outputName(outputs);
  if (named) return named;
  for (const f of fields) {
    const v = node.params?.[f.name];
    if (typeof v === 'string' && v !== '' && builtinWidgetName(f.name, f.schema) === 'text') return v;
  }
  return title;
}

/** A `name` an output value carries after a run (e.g. the LoRA the provider answered with). */
export function outputName(outputs: Readonly<Record<string, unknown>> | undefined): string | undefined {
  for (const v of Object.values(outputs ?? {})) {
    if (v !== null && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string')
      return (v as { name: string }).name;
  }
  return undefined;
}

/**
 * The picture of the model a node names (`params.provider` + `params.modelId`, what the picker sets), through the
 * runtime's `modelThumbnail`: sniffed raster bytes only, never a URL a provider or an output handed over.
 */
function useModelThumbnail(node: GraphNode): string | undefined {
  const { runtime } = useEditorContext();
  const provider = node.params?.provider;
  const modelId = node.params?.modelId;
  const ref =
    typeof provider === 'string' && typeof modelId === 'string' && provider !== '' && modelId !== ''
      ? `${provider}:${modelId}`
      : undefined;
  return useModelThumbnailUrl(runtime, ref);
}

/**
 * The cost of a node in words, or undefined when it costs nothing it could know.
 *
 * @example
 * costText({ cost: { amount: 5, unit: 'credits' } }); // '5 credits'
 */
export function costText(entry: Pick<NodeEstimate, 'cost' | 'costUnknown' | 'willRun'> | undefined) {
  if (!entry?.willRun) return undefined;
  if (entry.cost && entry.cost.amount > 0) {
    const n = Math.round(entry.cost.amount * 100) / 100;
    return `${n} ${entry.cost.unit}`;
  }
  if (entry.costUnknown) return 'cost known when it runs';
  return undefined;
}

const stop = (e: KeyboardEvent) => e.stopPropagation();

// The field appears because the person clicked (or pressed Enter on) the value: focus follows that request.
const focusOnMount = (el: HTMLInputElement | HTMLTextAreaElement | null) => el?.focus();

/** A text shown on the node; a click (or Enter) edits it in place, Escape or leaving the field ends. */
function InlineText(props: {
  nodeId: string;
  field: ParamField;
  multiline: boolean;
  value: string;
  disabled: boolean;
}) {
  const { store } = useEditorContext();
  const [editing, setEditing] = useState(false);
  const { field } = props;
  const done = () => {
    setEditing(false);
    store.closeStep();
  };
  if (editing && !props.disabled) {
    const common = {
      className: 'lf-input nodrag nowheel lf-inline__input',
      'aria-label': field.title,
      ref: focusOnMount,
      value: props.value,
      onBlur: done,
      onKeyDown: (e: KeyboardEvent) => {
        stop(e);
        if (e.key === 'Escape' || (e.key === 'Enter' && (!props.multiline || e.ctrlKey || e.metaKey))) {
          e.preventDefault();
          done();
          // back on the node's text, so the keyboard stays on the canvas
          requestAnimationFrame(() =>
            document.querySelector<HTMLElement>(`[data-inline="${props.nodeId}:${field.name}"]`)?.focus(),
          );
        }
      },
      onChange: (e: { currentTarget: { value: string } }) =>
        store.setParam(props.nodeId, field.name, e.currentTarget.value),
    };
    return props.multiline ? <textarea rows={4} {...common} /> : <input type="text" {...common} />;
  }
  return (
    <button
      type="button"
      className={`lf-inline nodrag${props.multiline ? ' lf-inline--multiline' : ''}`}
      data-inline={`${props.nodeId}:${field.name}`}
      aria-label={`${field.title}: ${props.value || 'empty'}${props.disabled ? '' : ' (edit)'}`}
      title={field.help}
      disabled={props.disabled}
      onClick={() => setEditing(true)}
    >
      {props.value || <span className="lf-inline__placeholder">{field.title}…</span>}
    </button>
  );
}

/** One per-connection number (a LoRA's scale or strength) shown on the node; editable in place. */
function InlineSetting(props: { edge: GraphEdge; field: ParamField; sourceName: string; disabled: boolean }) {
  const { store } = useEditorContext();
  const { edge, field } = props;
  const raw = edge.settings?.[field.name];
  const value = typeof raw === 'number' ? raw : (field.schema.default as number | undefined);
  const [editing, setEditing] = useState(false);
  const label = `${field.title} of ${props.sourceName}`;
  return (
    <li className="lf-node__connection" data-edge={edge.id}>
      <span className="lf-node__connection-name" title={props.sourceName}>
        {props.sourceName}
      </span>
      {editing && !props.disabled ? (
        <input
          type="number"
          className="lf-input nodrag lf-inline__number"
          aria-label={label}
          ref={focusOnMount}
          min={field.schema.minimum}
          max={field.schema.maximum}
          step={typeof field.schema.multipleOf === 'number' ? field.schema.multipleOf : 0.05}
          defaultValue={value}
          onKeyDown={(e) => {
            stop(e);
            if (e.key === 'Enter' || e.key === 'Escape') e.currentTarget.blur();
          }}
          onChange={(e) => {
            const n = Number(e.currentTarget.value);
            if (e.currentTarget.value.trim() !== '' && Number.isFinite(n))
              store.setEdgeSetting(edge.id, field.name, n);
          }}
          onBlur={() => {
            setEditing(false);
            store.closeStep();
          }}
        />
      ) : (
        <button
          type="button"
          className="lf-inline lf-inline--number nodrag"
          aria-label={`${label}: ${value ?? 'unset'}`}
          title={field.help}
          disabled={props.disabled}
          onClick={() => setEditing(true)}
        >
          {field.name === 'scale' || field.name === 'strength' ? '× ' : `${field.title} `}
          {value ?? '—'}
        </button>
      )}
    </li>
  );
}

/** A connected input with per-connection settings (a composition's LoRAs) listed on its node. */
export interface SettingsGroup {
  port: string;
  label: string;
  field: ParamField;
  edges: ReadonlyArray<{ edge: GraphEdge; sourceName: string }>;
}

/**
 * What a node shows between its ports and its run state: its text params, the per-connection settings of
 * its inputs, what a run gave it a name for, its cost and why it will run again.
 */
export function NodeContent(props: {
  node: GraphNode;
  headline: readonly HeadlineField[];
  groups: readonly SettingsGroup[];
  run: NodeRunView | undefined;
  explain: ExplainEntry | undefined;
  estimate: NodeEstimate | undefined;
  readOnly: boolean;
}) {
  const { node, run, explain } = props;
  const thumb = useModelThumbnail(node);
  const named = outputName(run?.outputs);
  const cost = costText(props.estimate);
  const settled =
    run !== undefined && run.status !== 'idle' && run.status !== 'running' && run.status !== 'queued';
  return (
    <div className="lf-node__content">
      {(thumb || named) && (
        <div className="lf-node__model">
          {thumb && <img className="lf-node__model-thumb" src={thumb} alt="" />}
          {named && <span className="lf-node__model-name">{named}</span>}
        </div>
      )}
      {props.headline.map(({ field, multiline }) => {
        const v = node.params?.[field.name];
        return (
          <InlineText
            key={field.name}
            nodeId={node.id}
            field={field}
            multiline={multiline}
            value={typeof v === 'string' ? v : ''}
            disabled={props.readOnly}
          />
        );
      })}
      {props.groups.map((g) => (
        <ul key={g.port} className="lf-node__connections" aria-label={`${g.label} of ${node.id}`}>
          {g.edges.map(({ edge, sourceName }) => (
            <InlineSetting
              key={edge.id}
              edge={edge}
              field={g.field}
              sourceName={sourceName}
              disabled={props.readOnly}
            />
          ))}
        </ul>
      ))}
      {(cost || (settled && explain?.willRun)) && (
        <div className="lf-node__footer">
          {cost && (
            <span className="lf-node__cost" data-testid={`cost-${node.id}`}>
              {cost}
            </span>
          )}
          {settled && explain?.willRun && (
            <span className="lf-node__next" data-testid={`next-${node.id}`}>
              will run: {explainText(explain)}
            </span>
          )}
        </div>
      )}
    </div>
  );
}
