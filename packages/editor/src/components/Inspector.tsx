import type { GraphEdge, GraphNode, Issue } from '@loraflow/core';
import { useMemo } from 'react';
import { type ParamField, paramFields } from '../params';
import { useEditorContext, useEditorState } from '../react/context';
import { explainText } from './explain';
import { progressDetail } from './LoraNode';
import { ModelPickerButton } from './ModelPicker';
import { resolveWidget, schemaOf } from './widgets';

const sameButPosition = (a: GraphNode | undefined, b: GraphNode | undefined) =>
  a === b ||
  (a !== undefined &&
    b !== undefined &&
    a.id === b.id &&
    a.type === b.type &&
    a.label === b.label &&
    a.params === b.params);

/**
 * One parameter: its title, widget, unit and help from the schema, and its problems.
 *
 * @example
 * <Field ownerId="gen" ownerType="generate.multiLora" field={field} value={3} issues={[]} disabled={false} onChange={set} onCommit={close} />
 */
export function Field(props: {
  ownerId: string;
  ownerType: string;
  field: ParamField;
  value: unknown;
  issues: readonly Issue[];
  disabled: boolean;
  onChange(value: unknown): void;
  onCommit(): void;
}) {
  const { widgets } = useEditorContext();
  const { field } = props;
  const schema = field.schema;
  const Widget = resolveWidget(widgets, props.ownerType, field.name, schema);
  const inputId = `lf-${props.ownerId}-${field.name}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const helpId = `${inputId}-help`;
  return (
    <div className="lf-field" data-param={field.name} data-invalid={props.issues.length > 0 || undefined}>
      <label className="lf-field__label" htmlFor={inputId}>
        {field.title}
        {field.unit ? <span className="lf-field__unit"> ({field.unit})</span> : null}
      </label>
      <Widget
        name={field.name}
        label={field.title}
        value={props.value ?? schema.default}
        schema={schema}
        onChange={props.onChange}
        onCommit={props.onCommit}
        disabled={props.disabled}
        ownerId={props.ownerId}
        inputId={inputId}
        isSet={props.value !== undefined}
        clearable={field.clearable}
        {...(field.unit ? { unit: field.unit } : {})}
      />
      {field.help && (
        <div className="lf-field__help" id={helpId}>
          {field.help}
        </div>
      )}
      {props.issues.map((issue) => (
        <div key={`${issue.code}:${issue.message}`} className="lf-field__issue" role="alert">
          {issue.message}
        </div>
      ))}
    </div>
  );
}

/** Issues whose path points into `prefix` (e.g. a node's params.scale). */
function issuesAt(issues: readonly Issue[] | undefined, match: (path: Issue['path']) => boolean): Issue[] {
  return (issues ?? []).filter((i) => match(i.path));
}

function EdgeSettings(props: { edge: GraphEdge; index: number; count: number; disabled: boolean }) {
  const { store } = useEditorContext();
  const { edge } = props;
  const sourceNode = useEditorState((s) => s.nodesById.get(edge.from.node));
  const target = useEditorState((s) => s.nodesById.get(edge.to.node));
  const issues = useEditorState((s) => s.issuesByEdge.get(edge.id));
  const spec = target ? store.catalogue.definition(target.type)?.inputs?.[edge.to.port] : undefined;
  const settingsFields = paramFields(schemaOf(spec?.settings));
  const sourceTitle = sourceNode
    ? (sourceNode.label ?? store.catalogue.definition(sourceNode.type)?.title ?? sourceNode.id)
    : edge.from.node;
  return (
    <li className="lf-connection" data-edge={edge.id}>
      <div className="lf-connection__head">
        <span className="lf-connection__source">{sourceTitle}</span>
        <span className="lf-connection__port">.{edge.from.port}</span>
        <span className="lf-connection__order">
          <button
            type="button"
            className="lf-button lf-button--small"
            aria-label={`Move ${sourceTitle} up`}
            disabled={props.disabled || props.index === 0}
            onClick={() => store.moveEdge(edge.id, -1)}
          >
            ↑
          </button>
          <button
            type="button"
            className="lf-button lf-button--small"
            aria-label={`Move ${sourceTitle} down`}
            disabled={props.disabled || props.index === props.count - 1}
            onClick={() => store.moveEdge(edge.id, 1)}
          >
            ↓
          </button>
        </span>
      </div>
      {settingsFields.map((field) => (
        <Field
          key={field.name}
          ownerId={edge.id}
          ownerType={`${target?.type ?? ''}.${edge.to.port}`}
          field={field}
          value={edge.settings?.[field.name]}
          issues={issuesAt(issues, (p) => p.includes(field.name))}
          disabled={props.disabled}
          onChange={(v) => store.setEdgeSetting(edge.id, field.name, v)}
          onCommit={() => store.closeStep()}
        />
      ))}
      {(issues ?? []).map((issue) => (
        <div key={`${issue.code}:${issue.message}`} className="lf-field__issue" role="alert">
          {issue.message}
        </div>
      ))}
    </li>
  );
}

/**
 * The inspector: a form generated from the selected node's params schema, the per-connection
 * settings (e.g. each LoRA's scale) of its multiple inputs, its problems, explain and run state.
 * (long because it is one form: its sections read the same selection and state, and each is a few lines of JSX.)
 */
export function Inspector() {
  const { store } = useEditorContext();
  const selected = useEditorState((s) => s.selectedNodes);
  const selectedEdges = useEditorState((s) => s.selectedEdges);
  const readOnly = useEditorState((s) => s.readOnly);
  const nodeId = selected.size === 1 ? [...selected][0] : undefined;
  // A drag changes only the position, which the form does not show: it must not re-render the form per frame.
  const node = useEditorState((s) => (nodeId ? s.nodesById.get(nodeId) : undefined), sameButPosition);
  const edges = useEditorState((s) => s.doc.edges);
  const issues = useEditorState((s) => (nodeId ? s.issuesByNode.get(nodeId) : undefined));
  const explain = useEditorState((s) => (nodeId ? s.explain.get(nodeId) : undefined));
  const run = useEditorState((s) => (nodeId ? s.run.node(nodeId) : undefined));
  const nodeIndex = useEditorState((s) => (nodeId ? s.doc.nodes.findIndex((n) => n.id === nodeId) : -1));
  const def = node ? store.catalogue.definition(node.type) : undefined;
  const paramsSchema = schemaOf(def?.params);
  const fields = useMemo(() => paramFields(paramsSchema), [paramsSchema]);

  const incoming = useMemo(() => {
    if (!node || !def) return [];
    return Object.entries(def.inputs ?? {})
      .filter(([, spec]) => spec.multiple || spec.settings)
      .map(([port, spec]) => ({
        port,
        label: spec.label ?? port,
        edges: edges.filter((e) => e.to.node === node.id && e.to.port === port),
      }))
      .filter((g) => g.edges.length > 0);
  }, [node, def, edges]);

  if (!node) {
    const edgeId = selectedEdges.size === 1 && selected.size === 0 ? [...selectedEdges][0] : undefined;
    const edge = edgeId ? edges.find((e) => e.id === edgeId) : undefined;
    return (
      <aside className="lf-inspector" aria-label="Inspector">
        {edge ? (
          <>
            <h2 className="lf-inspector__title">Connection</h2>
            <ul className="lf-connections">
              <EdgeSettings edge={edge} index={0} count={1} disabled={readOnly} />
            </ul>
          </>
        ) : (
          <p className="lf-inspector__empty">
            {selected.size > 1 ? `${selected.size} nodes selected.` : 'Select a node to edit its parameters.'}
          </p>
        )}
      </aside>
    );
  }

  const paramIssues = (name: string) =>
    issuesAt(issues, (p) => p[0] === 'nodes' && p[1] === nodeIndex && p[2] === 'params' && p[3] === name);
  const otherIssues = (issues ?? []).filter(
    (i) =>
      !(
        i.path[0] === 'nodes' &&
        i.path[2] === 'params' &&
        typeof i.path[3] === 'string' &&
        paramsSchema.properties?.[i.path[3]]
      ),
  );

  const paramField = (field: ParamField) => (
    <Field
      key={field.name}
      ownerId={node.id}
      ownerType={node.type}
      field={field}
      value={node.params?.[field.name]}
      issues={paramIssues(field.name)}
      disabled={readOnly}
      onChange={(v) => store.setParam(node.id, field.name, v)}
      onCommit={() => store.closeStep()}
    />
  );

  return (
    <aside className="lf-inspector" aria-label="Inspector" data-node={node.id}>
      <h2 className="lf-inspector__title">{def?.title ?? node.type}</h2>
      <div className="lf-inspector__type">
        {node.type} · {node.id}
      </div>
      {def?.description && <p className="lf-inspector__description">{def.description}</p>}
      <div className="lf-field">
        <label className="lf-field__label" htmlFor={`lf-label-${node.id}`}>
          Label
        </label>
        <input
          id={`lf-label-${node.id}`}
          className="lf-input"
          value={node.label ?? ''}
          placeholder={def?.title ?? node.type}
          disabled={readOnly}
          onChange={(e) => store.setLabel(node.id, e.currentTarget.value)}
          onBlur={() => store.closeStep()}
        />
      </div>
      <ModelPickerButton nodeId={node.id} />
      {fields.filter((f) => !f.advanced).map(paramField)}
      {fields.some((f) => f.advanced) && (
        // folded unless a value is set or has a problem, so what needs attention is never hidden
        <details
          className="lf-inspector__advanced"
          open={fields.some(
            (f) => f.advanced && (node.params?.[f.name] !== undefined || paramIssues(f.name).length > 0),
          )}
        >
          <summary>Advanced</summary>
          {fields.filter((f) => f.advanced).map(paramField)}
        </details>
      )}
      {incoming.map((group) => (
        <section key={group.port} className="lf-inspector__section">
          <h3>{group.label}</h3>
          <ul className="lf-connections">
            {group.edges.map((edge, i) => (
              <EdgeSettings
                key={edge.id}
                edge={edge}
                index={i}
                count={group.edges.length}
                disabled={readOnly}
              />
            ))}
          </ul>
        </section>
      ))}
      {otherIssues.length > 0 && (
        <section className="lf-inspector__section">
          <h3>Problems</h3>
          <ul className="lf-issues">
            {otherIssues.map((issue) => (
              <li key={`${issue.code}:${issue.path.join('.')}:${issue.message}`} data-code={issue.code}>
                {issue.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {explain && (!run || !['running', 'queued', 'starting'].includes(run.status)) && (
        <section className="lf-inspector__section">
          <h3>Next run</h3>
          <p data-will-run={explain.willRun}>
            {explain.willRun ? 'Will run' : 'Cached'}: {explainText(explain)}
          </p>
        </section>
      )}
      {run && run.status !== 'idle' && (
        <section className="lf-inspector__section">
          <h3>Run</h3>
          <p>
            {run.status}
            {run.status === 'running' && run.fraction !== undefined
              ? ` ${Math.round(run.fraction * 100)}%`
              : ''}
            {run.message ? ` · ${run.message}` : ''}
            {progressDetail(run.detail) ? ` · ${progressDetail(run.detail)}` : ''}
          </p>
          {run.error && <p className="lf-field__issue">{run.error.message}</p>}
          {run.because && <p>Skipped because {run.because}</p>}
        </section>
      )}
    </aside>
  );
}
