import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { durationText, runDuration, runImages, whenText } from '../history';
import { type ImageRef, useBlobUrl } from '../images';
import { useEditorContext, useEditorState } from '../react/context';
import type { EditorRuntime, RunRecord } from '../runtime-types';
import { useOpenViewer, type ViewerState } from './viewer-context';

const PAGE = 20;
const THUMBS = 4;

/**
 * Props of the run history panel.
 *
 * @example
 * const props: RunHistoryProps = { onClose: () => setOpen(false) };
 */
export interface RunHistoryProps {
  /** Closes the panel; the focus goes back to what opened it. */
  onClose(): void;
  /** The clock "5 minutes ago" is read against (stories pin it). */
  now?: () => number;
}

type Listing =
  | { state: 'loading'; runs?: readonly RunRecord[] }
  | { state: 'ready'; runs: readonly RunRecord[] }
  | { state: 'failed'; message: string; runs?: readonly RunRecord[] };

// Decorative inside the run's button (alt ""): the button's name already counts the images.
function Thumb(props: { image: ImageRef }) {
  const { runtime } = useEditorContext();
  // useBlobUrl types the object URL from the sniffed bytes: anything but PNG, JPEG or WebP shows nothing
  const src = useBlobUrl(runtime, props.image);
  return src ? (
    <img className="lf-history__thumb" src={src} alt="" />
  ) : (
    <span className="lf-history__thumb lf-thumb--loading" aria-hidden="true" />
  );
}

/** Whether a run ran the graph on the canvas: the same nodes (type, params), wires and node order. */
function sameGraph(a: RunRecord['doc'], b: RunRecord['doc']): boolean {
  if (a === b) return true;
  if (a.nodes.length !== b.nodes.length || a.edges.length !== b.edges.length) return false;
  const params = (p: unknown) => JSON.stringify(p ?? {});
  const wire = (e: RunRecord['doc']['edges'][number]) =>
    `${e.from.node}.${e.from.port}>${e.to.node}.${e.to.port}`;
  return (
    a.nodes.every((n, i) => {
      const m = b.nodes[i];
      return m !== undefined && n.id === m.id && n.type === m.type && params(n.params) === params(m.params);
    }) && a.edges.every((e, i) => b.edges[i] !== undefined && wire(e) === wire(b.edges[i]))
  );
}

/** One earlier run: a button that reopens it (its name a sentence), its failure, its images and graph. */
function RunItem(props: {
  run: RunRecord;
  now: number;
  current: boolean;
  busy: boolean;
  otherGraph: boolean;
  onOpen(withGraph: boolean): void;
  onView?: (state: ViewerState) => void;
}) {
  const { run, now, otherGraph } = props;
  const images = runImages(run);
  const when = whenText(run.createdAt, now);
  const took = durationText(runDuration(run));
  const finished = run.status !== 'running';
  const status = run.interrupted ? 'interrupted' : run.status;
  return (
    <li
      className="lf-history__item"
      data-run-id={run.runId}
      data-status={run.status}
      aria-current={props.current ? 'true' : undefined}
    >
      <button
        type="button"
        className="lf-history__open"
        disabled={!finished}
        aria-busy={props.busy}
        title={new Date(run.createdAt).toLocaleString()}
        onClick={() => props.onOpen(false)}
      >
        {/* the name read out is the visible text with a few hidden words: "Open the run of 2 minutes ago: succeeded, took 3 min 12 s, 2 images" */}
        <span className="lf-sr">Open the run of </span>
        <span className="lf-history__when">{when}</span>
        <span className="lf-sr">: </span>
        <span className="lf-badge" data-status={run.status}>
          {status}
        </span>
        <span className="lf-sr">, </span>
        <span className="lf-history__took">{finished ? `took ${took}` : `going for ${took}`}</span>
        <span className="lf-sr">
          , {images.length} image{images.length === 1 ? '' : 's'}
        </span>
        {images.length > 0 && (
          <span className="lf-history__thumbs">
            {images.slice(0, THUMBS).map((image) => (
              <Thumb key={image.hash} image={image} />
            ))}
            {images.length > THUMBS && (
              <span className="lf-history__more" aria-hidden="true">
                +{images.length - THUMBS}
              </span>
            )}
          </span>
        )}
      </button>
      {run.error && <span className="lf-history__why">{run.error.message}</span>}
      <span className="lf-history__actions">
        {images.length > 0 && props.onView && (
          <button
            type="button"
            className="lf-button lf-button--small"
            onClick={() => props.onView?.({ images, index: 0, title: `Run of ${when}` })}
          >
            View {images.length} image{images.length === 1 ? '' : 's'}
          </button>
        )}
        {otherGraph && finished && (
          <button
            type="button"
            className="lf-button lf-button--small"
            title="Replace the graph on the canvas with the one this run ran (Undo brings yours back)"
            onClick={() => props.onOpen(true)}
          >
            Open its graph
          </button>
        )}
      </span>
    </li>
  );
}

// The last list per runtime and how many runs it asked for: reopening the panel shows it without asking again.
const lastListed = new WeakMap<object, { runs: readonly RunRecord[]; asked: number }>();

/** Whether a list already shows the editor's run as it is now (none, or listed with its current status). */
function shows(runs: readonly RunRecord[], run: { runId?: string | undefined; status: string }): boolean {
  if (run.runId === undefined) return true;
  return runs.some((r) => r.runId === run.runId && r.status === run.status);
}

/**
 * The runtime's runs (one more than `limit`, to know whether there are older ones): the last list is reused until
 * the editor's run starts or ends (it is not listed as it is now), more are asked for, or `load` is called.
 */
function useRunListing(
  runtime: EditorRuntime | undefined,
  listRuns: EditorRuntime['listRuns'],
  limit: number,
  run: { runId?: string | undefined; status: string },
) {
  const [listing, setListing] = useState<Listing>(() => {
    const kept = runtime && lastListed.get(runtime);
    return kept ? { state: 'ready', runs: kept.runs } : { state: 'loading' };
  });
  const load = useCallback(() => {
    if (!listRuns) return () => undefined;
    let live = true;
    setListing((l) => ({ state: 'loading', ...(l.runs ? { runs: l.runs } : {}) }));
    listRuns({ limit: limit + 1 }).then(
      (runs) => {
        if (runtime) lastListed.set(runtime, { runs, asked: limit + 1 });
        if (live) setListing({ state: 'ready', runs });
      },
      (error: unknown) =>
        live &&
        setListing((l) => ({
          state: 'failed',
          message: error instanceof Error ? error.message : String(error),
          ...(l.runs ? { runs: l.runs } : {}),
        })),
    );
    return () => {
      live = false;
    };
  }, [runtime, listRuns, limit]);
  const { runId, status } = run;
  // listed again when a run of this editor starts or ends, so the newest run is always there
  useEffect(() => {
    const kept = runtime && lastListed.get(runtime);
    if (!kept || kept.asked < limit + 1 || !shows(kept.runs, { runId, status })) return load();
    setListing((l) =>
      l.state === 'ready' && l.runs === kept.runs ? l : { state: 'ready', runs: kept.runs },
    );
    return undefined;
  }, [runtime, load, limit, runId, status]);
  return { listing, load };
}

/**
 * The run history: earlier runs from `runtime.listRuns` (status, when, how long, output thumbnails), newest
 * first. Opening one shows its states and outputs on the canvas (`store.showRun`); its images open in the viewer;
 * a run of another graph can load that graph (one undo step). Escape closes it and gives the focus back.
 * `<LoraflowEditor>` shows it from its History button; hosts with their own chrome render it in a provider.
 *
 * @example
 * <LoraflowProvider store={store} runtime={runtime}><RunHistory onClose={() => setOpen(false)} /></LoraflowProvider>
 */
export function RunHistory(props: RunHistoryProps) {
  const { store, runtime } = useEditorContext();
  const openViewer = useOpenViewer();
  const readOnly = useEditorState((s) => s.readOnly);
  const shownRun = useEditorState((s) => s.run.runId);
  const runStatus = useEditorState((s) => s.run.status);
  const [limit, setLimit] = useState(PAGE);
  const moreFrom = useRef<number | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const heading = useRef<HTMLHeadingElement>(null);
  const section = useRef<HTMLElement>(null);
  const titleId = useId();
  const opener = useRef<Element | null>(document.activeElement);
  const now = (props.now ?? Date.now)();
  // bound: a host's runtime may be a class instance
  const listRuns = useMemo(() => runtime?.listRuns?.bind(runtime), [runtime]);

  const { listing, load } = useRunListing(runtime, listRuns, limit, { runId: shownRun, status: runStatus });
  // the canvas's graph as of its last edit but a move: sameGraph ignores positions, so a drag re-renders nothing here
  const doc = useEditorState((s) => s.typesDoc);

  useEffect(() => {
    const from = moreFrom.current;
    if (from === undefined || listing.state !== 'ready') return;
    moreFrom.current = undefined;
    const first = section.current?.querySelectorAll<HTMLButtonElement>('.lf-history__open')[from];
    if (first && !first.disabled) first.focus();
    else heading.current?.focus();
  }, [listing]);

  useEffect(() => {
    heading.current?.focus();
    const back = opener.current;
    return () => {
      // never to <body>: back to the toggle, else to the editor's root
      if (back instanceof HTMLElement && back.isConnected) back.focus();
      else heading.current?.closest<HTMLElement>('.lf-root')?.focus();
    };
  }, []);

  const open = async (runId: string, withGraph: boolean) => {
    if (!runtime?.getRun || busy !== undefined) return;
    setBusy(runId);
    try {
      const record = await runtime.getRun(runId);
      if (!record) {
        store.notice('error', 'history.gone', `Run ${runId} is no longer kept by the runtime.`);
        return;
      }
      // the run changed since it was listed (resumed, ended elsewhere): the list says so again
      if (listing.runs?.find((r) => r.runId === runId)?.status !== record.status) load();
      // shown first: a refused run (one is going) leaves the graph as it was
      if (!store.showRun(record)) return;
      if (withGraph) store.replaceDocument(record.doc, { undoable: true });
      // the "Open its graph" button goes with the other graph: the keyboard stays on the run
      if (withGraph)
        requestAnimationFrame(() =>
          section.current
            ?.querySelector<HTMLElement>(`[data-run-id="${CSS.escape(runId)}"] .lf-history__open`)
            ?.focus(),
        );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      store.notice('error', 'history.unreadable', `Run ${runId} could not be read: ${message}`);
    } finally {
      setBusy(undefined);
    }
  };

  const runs = listing.runs ?? [];
  const shown = runs.slice(0, limit);
  return (
    <section
      ref={section}
      className="lf-history"
      aria-labelledby={titleId}
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        e.stopPropagation();
        props.onClose();
      }}
    >
      <div className="lf-history__bar">
        <h2 className="lf-history__title" id={titleId} ref={heading} tabIndex={-1}>
          Run history
        </h2>
        <button
          type="button"
          className="lf-button lf-button--small"
          // aria-disabled, not disabled: a focused button that becomes disabled drops the focus to <body>
          aria-disabled={!listRuns || listing.state === 'loading'}
          onClick={() => {
            if (listRuns && listing.state !== 'loading') load();
          }}
        >
          Refresh
        </button>
        <button
          type="button"
          className="lf-button lf-button--small"
          aria-label="Close run history"
          onClick={props.onClose}
        >
          ×
        </button>
      </div>
      {!listRuns && <p className="lf-history__empty">This runtime keeps no run history.</p>}
      {listing.state === 'failed' && (
        <p className="lf-history__error" role="alert">
          The runs could not be listed: {listing.message}
        </p>
      )}
      {listRuns && listing.state === 'ready' && runs.length === 0 && (
        <p className="lf-history__empty">No runs yet: press Run, and each run is kept here.</p>
      )}
      {listing.state === 'loading' && runs.length === 0 && listRuns && (
        <p className="lf-history__empty" aria-live="polite">
          Loading runs…
        </p>
      )}
      <ol className="lf-history__list" aria-label="Earlier runs, newest first">
        {shown.map((run) => (
          <RunItem
            key={run.runId}
            run={run}
            now={now}
            current={shownRun === run.runId}
            busy={busy === run.runId}
            otherGraph={!readOnly && !sameGraph(run.doc, doc)}
            onOpen={(withGraph) => void open(run.runId, withGraph)}
            {...(openViewer ? { onView: openViewer } : {})}
          />
        ))}
      </ol>
      {runs.length > limit && (
        <button
          type="button"
          className="lf-button lf-button--small"
          onClick={() => {
            // the button may go with the last page: the keyboard moves to the first run it brings
            moreFrom.current = limit;
            setLimit(limit + PAGE);
          }}
        >
          Show older runs
        </button>
      )}
    </section>
  );
}
