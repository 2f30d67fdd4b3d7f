import { useEditorContext, useEditorState } from '../react/context';
import { estimateText } from './estimate-text';

/** The editor's toolbar: add, undo/redo, layout, import/export, run, cancel, and the estimate. */
export function Toolbar(props: {
  onAdd(): void;
  onLayout(): void;
  onImport(): void;
  onExport(): void;
  /** Opens or closes the run history panel (shown with a runtime that lists runs). */
  onHistory?(): void;
  historyOpen?: boolean;
}) {
  const { store, runtime } = useEditorContext();
  const canUndo = useEditorState((s) => s.canUndo);
  const canRedo = useEditorState((s) => s.canRedo);
  const readOnly = useEditorState((s) => s.readOnly);
  const run = useEditorState((s) => s.run);
  const selected = useEditorState((s) => s.selectedNodes);
  const issueCount = useEditorState((s) => s.issues.length);
  const estimate = useEditorState((s) => s.estimate);
  const willRun = useEditorState((s) => [...s.explain.values()].filter((e) => e.willRun).length);
  const running = run.status === 'running' || run.status === 'starting';
  // kept by the run's fold per event: no walk over every node per render
  const counts = run.counts;
  return (
    <div className="lf-toolbar" role="toolbar" aria-label="Editor">
      {!readOnly && (
        <>
          <button
            type="button"
            className="lf-button lf-button--primary"
            onClick={props.onAdd}
            title="Add a node (/)"
          >
            + Node
          </button>
          <button
            type="button"
            className="lf-button"
            disabled={!canUndo}
            onClick={() => store.undo()}
            title="Undo (Ctrl+Z)"
          >
            Undo
          </button>
          <button
            type="button"
            className="lf-button"
            disabled={!canRedo}
            onClick={() => store.redo()}
            title="Redo (Ctrl+Shift+Z)"
          >
            Redo
          </button>
          <button
            type="button"
            className="lf-button"
            onClick={props.onLayout}
            title="Arrange the graph left to right"
          >
            Layout
          </button>
          <button type="button" className="lf-button" onClick={props.onImport} title="Open a graph JSON file">
            Import
          </button>
        </>
      )}
      <button type="button" className="lf-button" onClick={props.onExport} title="Save the graph as JSON">
        Export
      </button>
      {runtime?.listRuns && props.onHistory && (
        <button
          type="button"
          className="lf-button"
          aria-expanded={props.historyOpen ?? false}
          onClick={props.onHistory}
          title="Earlier runs and their outputs"
        >
          History
        </button>
      )}
      <span className="lf-toolbar__spacer" />
      {issueCount > 0 && (
        <span className="lf-toolbar__issues" data-testid="issue-count">
          {issueCount} problem{issueCount === 1 ? '' : 's'}
        </span>
      )}
      {runtime && (
        <>
          {!running && issueCount === 0 && estimate && (
            <span className="lf-toolbar__estimate" data-testid="estimate">
              {estimateText(estimate, willRun)}
            </span>
          )}
          {running && (
            <span className="lf-toolbar__run" data-testid="run-status">
              running · {counts.succeeded} done · {counts.cached} cached · {counts.running} running
            </span>
          )}
          {!running && run.status !== 'idle' && (
            <span className="lf-toolbar__run" data-testid="run-status" data-status={run.status}>
              run {run.status}
              {run.error ? `: ${run.error}` : ''}
            </span>
          )}
          {running ? (
            <button type="button" className="lf-button lf-button--danger" onClick={() => store.cancel()}>
              Cancel
            </button>
          ) : (
            <>
              <button
                type="button"
                className="lf-button"
                disabled={selected.size === 0}
                onClick={() => void store.run([...selected])}
                title="Run only what the selected nodes need"
              >
                Run to selected
              </button>
              <button
                type="button"
                className="lf-button lf-button--primary"
                onClick={() => void store.run()}
                title="Run all (Ctrl+Enter)"
              >
                Run
              </button>
            </>
          )}
        </>
      )}
    </div>
  );
}

/** The message strip: a refused connection's reason, a failed import. */
export function NoticeBar() {
  const { store } = useEditorContext();
  const notice = useEditorState((s) => s.notice);
  if (!notice) return null;
  return (
    <div className="lf-notice" data-kind={notice.kind} data-code={notice.code} role="alert" key={notice.seq}>
      <span className="lf-notice__text">{notice.message}</span>
      <button
        type="button"
        className="lf-button lf-button--small"
        aria-label="Dismiss"
        onClick={() => store.dismissNotice()}
      >
        ×
      </button>
    </div>
  );
}
