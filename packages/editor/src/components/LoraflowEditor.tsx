import { type GraphDocument, loadDocument, type NodePack } from '@loraflow/core';
import { parseInEnglish } from '@loraflow/runtime';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { type KeyboardEvent, type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { z } from 'zod/mini';

import { createCatalogue } from '../catalogue';
import { downloadDocument, readDocumentFile } from '../io';
import { autoLayout } from '../layout';
import { EditorContext, type EditorContextValue, useEditorContext, useEditorState } from '../react/context';
import type { EditorRuntime } from '../runtime-types';
import { createEditorStore, type EditorStore } from '../store/editor-store';
import { Canvas, type PendingConnection } from './Canvas';
import { lazyPanel } from './lazy-panel';
import type { PaletteProps } from './Palette';
import { palettePlaceholder } from './palette-placeholder';
import { NoticeBar, Toolbar } from './Toolbar';
import { ViewerContext, type ViewerState } from './viewer-context';
import type { WidgetRegistry } from './widgets';

/**
 * Props of `<LoraflowEditor>`.
 *
 * @example
 * const props: LoraflowEditorProps = { packs: [loraPack], defaultDocument: doc, theme: 'dark' };
 */
export interface LoraflowEditorProps {
  /** The node packs (their definitions drive the palette, the inspector and connection checks). */
  packs: readonly NodePack[];
  /** Controlled document: the editor shows it and reports edits through `onChange`. Held, not copied: treat it as immutable. */
  document?: GraphDocument;
  /** Uncontrolled: the document to start from. Held, not copied: treat it as immutable. */
  defaultDocument?: GraphDocument;
  /** Called with the new document after every edit, undo, redo and import. */
  onChange?: (doc: GraphDocument) => void;
  /** Where runs happen: `createRuntime(...)` in the page or `createRemoteRuntime(url)` on a server. */
  runtime?: EditorRuntime;
  theme?: 'light' | 'dark';
  readOnly?: boolean;
  /** Custom parameter widgets by `nodeType.param` or widget name. */
  widgets?: WidgetRegistry;
  showMinimap?: boolean;
  className?: string;
  /** Called each time a node component renders; for render-count tests and profiling only. */
  unstable_onNodeRender?: (nodeId: string) => void;
  /** Extra chrome rendered inside the editor's context (so it can use the hooks). */
  children?: ReactNode;
}

// zod/mini, as everything on the editor's page: classic zod alone would cost a host's users ~20 kB gzip.
const propsSchema = z.object({
  packs: z.array(
    z.looseObject({
      name: z.string(),
      nodes: z.array(z.looseObject({ type: z.string().check(z.minLength(1)) })),
    }),
    'packs must be an array of node packs ({ name, nodes })',
  ),
  theme: z.optional(z.enum(['light', 'dark'])),
  readOnly: z.optional(z.boolean()),
});

/** Reads a document prop, or explains why it cannot be shown. */
function loadProp(doc: GraphDocument | undefined): { doc: GraphDocument | undefined; problem?: string } {
  if (doc === undefined) return { doc: undefined };
  // An exact current-version document is held as given (core's check, held to the zod schema by a property
  // test) instead of parsed into a copy: the first render of 1,000 nodes does not parse them twice.
  const r = loadDocument(doc, { keepIdentity: true });
  if (r.ok) return { doc: r.value };
  const first = r.issues[0];
  return {
    doc: undefined,
    problem: first ? `${first.path.join('.') || 'document'}: ${first.message}` : 'invalid',
  };
}

type Shortcut = 'undo' | 'redo' | 'run' | 'selectAll' | 'copy' | 'paste' | 'duplicate' | 'delete' | 'palette';

/** The action a key press means, or undefined. Editing shortcuts are off in read-only mode. */
export function shortcut(key: string, mod: boolean, shift: boolean, readOnly: boolean): Shortcut | undefined {
  if (mod && key === 'c') return 'copy';
  if (mod && key === 'a') return 'selectAll';
  if (readOnly) return undefined;
  if (mod && key === 'z') return shift ? 'redo' : 'undo';
  if (mod && key === 'y') return 'redo';
  if (mod && key === 'enter') return 'run';
  if (mod && key === 'v') return 'paste';
  if (mod && key === 'd') return 'duplicate';
  if (mod && key === 'k') return 'palette';
  if (!mod && (key === 'delete' || key === 'backspace')) return 'delete';
  if (!mod && key === '/') return 'palette';
  return undefined;
}

// The palette (cmdk and the Radix dialog it brings, ~18 kB gzipped) loads on first use, or when the browser
// is idle after the editor mounts: the entry stays in budget and the first render parses less.
const loadPalette = () => import('./Palette');
// Each lazy panel fails alone: a chunk that does not arrive leaves a "could not load" notice with Retry in its place.
const LazyPalette = lazyPanel(
  'palette',
  'lf-palette',
  () => loadPalette().then((m) => m.Palette),
  (p) => p.onClose(),
);

// The inspector (its forms and widgets) and the image viewer load the same way: a page shows its nodes before
// it parses them, and they are in place by the time a node is selected or an image enlarged.
const loadInspector = () => import('./Inspector');
const LazyInspector = lazyPanel('inspector', 'lf-inspector', () => loadInspector().then((m) => m.Inspector));
// the run history is opened from the toolbar: loaded on that click, never on the first render
const LazyRunHistory = lazyPanel(
  'run history',
  'lf-history',
  () => import('./RunHistory').then((m) => m.RunHistory),
  (p) => p.onClose(),
);
const loadViewer = () => import('./ImageViewer');
const LazyImageViewer = lazyPanel(
  'image viewer',
  'lf-viewer-error',
  () => loadViewer().then((m) => m.ImageViewer),
  (p) => p.onChange(undefined),
);

/**
 * The panel while its code loads: the same box, so nothing moves when it arrives, but not yet the landmark, so what
 * finds the inspector by its name finds the one that stays.
 */
function InspectorLoader() {
  return <LazyInspector fallback={<div className="lf-inspector" aria-busy="true" />} />;
}

/** The palette, with a plain search field that keeps what is typed while its code loads. */
function PaletteLoader(props: PaletteProps) {
  const [pickOnOpen, setPickOnOpen] = useState(false);
  const fallback = (
    <div className="lf-palette" role="dialog" aria-label="Add a node">
      <input
        className="lf-palette__fallback"
        aria-label="Add a node"
        ref={(el) => el?.focus()}
        value={props.search}
        placeholder={palettePlaceholder(props.pending !== undefined)}
        onChange={(e) => props.onSearch(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            props.onClose();
          } else if (e.key === 'Enter') setPickOnOpen(true);
        }}
      />
    </div>
  );
  return <LazyPalette {...props} pickOnOpen={pickOnOpen} fallback={fallback} />;
}

/**
 * Where a node added from the palette (not from a dropped wire) lands: right of the selection, else at the
 * pointer when it is over the canvas, else the canvas's centre; moved down-right while it would cover a node.
 */
function placeNewNode(
  store: EditorStore,
  flow: ReturnType<typeof useReactFlow>,
  canvas: HTMLElement | null,
  pointer: { x: number; y: number } | undefined,
): { x: number; y: number } {
  const state = store.getState();
  let at: { x: number; y: number } | undefined;
  let right = Number.NEGATIVE_INFINITY;
  for (const id of state.selectedNodes) {
    const n = flow.getNode(id);
    if (!n) continue;
    const edge = n.position.x + (n.measured?.width ?? 220);
    if (edge > right) {
      right = edge;
      at = { x: edge + 80, y: n.position.y };
    }
  }
  if (!at && pointer) at = flow.screenToFlowPosition(pointer);
  if (!at) {
    const r = canvas?.getBoundingClientRect();
    at = flow.screenToFlowPosition(
      r
        ? { x: r.left + r.width / 2, y: r.top + r.height / 2 }
        : { x: window.innerWidth / 2, y: window.innerHeight / 2 },
    );
  }
  const taken = (p: { x: number; y: number }) =>
    state.doc.nodes.some(
      (n) => n.position && Math.abs(n.position.x - p.x) < 40 && Math.abs(n.position.y - p.y) < 40,
    );
  for (let i = 0; i < 50 && taken(at); i++) at = { x: at.x + 40, y: at.y + 40 };
  return at;
}

/** Puts the keyboard back on the editor (after a palette closes, a node is deleted): never on <body>. */
function focusCanvas(root: HTMLElement | null) {
  requestAnimationFrame(() => {
    if (!root || root.contains(document.activeElement)) return;
    root.focus({ preventScroll: true });
  });
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * The loraflow editor: a canvas of nodes from the given packs, a palette, an inspector, undo/redo,
 * live validation, and runs through a `Runtime`. Import `@loraflow/editor/style.css` once.
 *
 * @example
 * import '@loraflow/editor/style.css';
 * <LoraflowEditor packs={[loraPack]} defaultDocument={doc} runtime={runtime} onChange={save} theme="dark" />
 */
export function LoraflowEditor(props: LoraflowEditorProps) {
  const checked = parseInEnglish(propsSchema, {
    packs: props.packs,
    theme: props.theme,
    readOnly: props.readOnly,
  });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    return (
      <div className="lf-root lf-root--error" data-theme={props.theme ?? 'light'} role="alert">
        The editor cannot start:{' '}
        {issue ? `${issue.path.join('.') || 'props'}: ${issue.message}` : 'invalid props'}.
      </div>
    );
  }
  return <EditorWithPacks {...props} />;
}

function EditorWithPacks(props: LoraflowEditorProps) {
  const { packs } = props;
  const catalogue = useMemo(() => {
    try {
      return { ok: true as const, value: createCatalogue(packs) };
    } catch (error) {
      return { ok: false as const, message: error instanceof Error ? error.message : String(error) };
    }
  }, [packs]);
  if (!catalogue.ok) {
    return (
      <div className="lf-root lf-root--error" data-theme={props.theme ?? 'light'} role="alert">
        The editor cannot start: {catalogue.message}
      </div>
    );
  }
  return <EditorShell {...props} catalogue={catalogue.value} />;
}

function EditorShell(props: LoraflowEditorProps & { catalogue: ReturnType<typeof createCatalogue> }) {
  const { catalogue } = props;
  const initial = useRef(loadProp(props.document ?? props.defaultDocument));
  const [store] = useState<EditorStore>(() => {
    const s = createEditorStore({
      catalogue,
      // core's validation, from the one analysis that also gives the port types and connection checks
      validate: (doc) => catalogue.resolve(doc).issues,
      ...(initial.current.doc ? { document: initial.current.doc } : {}),
      ...(props.runtime ? { runtime: props.runtime } : {}),
      readOnly: props.readOnly ?? false,
    });
    if (initial.current.problem)
      s.notice('error', 'document.invalid', `The document cannot be shown: ${initial.current.problem}`);
    return s;
  });
  useEffect(() => () => store.destroy(), [store]);
  useEffect(() => store.setRuntime(props.runtime), [store, props.runtime]);
  useEffect(() => store.setReadOnly(props.readOnly ?? false), [store, props.readOnly]);

  // Controlled mode: a document from the host replaces ours unless it is the one we just reported.
  const controlled = props.document;
  useEffect(() => {
    if (controlled === undefined || controlled === store.document) return;
    const loaded = loadProp(controlled);
    if (loaded.doc) store.replaceDocument(loaded.doc);
    else store.notice('error', 'document.invalid', `The document cannot be shown: ${loaded.problem}`);
  }, [controlled, store]);

  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  useEffect(() => store.onDocumentChange((doc) => onChange.current?.(doc)), [store]);

  const context = useMemo<EditorContextValue>(
    () => ({
      store,
      runtime: props.runtime,
      widgets: props.widgets ?? {},
      onNodeRender: props.unstable_onNodeRender,
    }),
    [store, props.runtime, props.widgets, props.unstable_onNodeRender],
  );

  return (
    <EditorContext.Provider value={context}>
      <ReactFlowProvider>
        <EditorLayout
          theme={props.theme ?? 'light'}
          className={props.className}
          showMinimap={props.showMinimap ?? true}
        >
          {props.children}
        </EditorLayout>
      </ReactFlowProvider>
    </EditorContext.Provider>
  );
}

/**
 * Provides an editor store to hooks and components, for hosts that build their own chrome.
 *
 * @example
 * <LoraflowProvider store={store}><MyToolbar /></LoraflowProvider>
 */
export function LoraflowProvider(props: {
  store: EditorStore;
  runtime?: EditorRuntime;
  widgets?: WidgetRegistry;
  children?: ReactNode;
}) {
  const value = useMemo<EditorContextValue>(
    () => ({
      store: props.store,
      runtime: props.runtime,
      widgets: props.widgets ?? {},
      onNodeRender: undefined,
    }),
    [props.store, props.runtime, props.widgets],
  );
  return <EditorContext.Provider value={value}>{props.children}</EditorContext.Provider>;
}

// long because it lays out the toolbar, canvas, inspector and dialogs around one store; each part is a few lines of JSX
function EditorLayout(props: {
  theme: 'light' | 'dark';
  className: string | undefined;
  showMinimap: boolean;
  children?: ReactNode;
}) {
  const { store } = useEditorContext();
  const flow = useReactFlow();
  const [palette, setPalette] = useState<{ pending: PendingConnection | undefined } | undefined>(undefined);
  const fileInput = useRef<HTMLInputElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const [viewer, setViewer] = useState<ViewerState | undefined>(undefined);
  const [historyOpen, setHistoryOpen] = useState(false);
  const [search, setSearch] = useState('');
  useEffect(() => {
    const idle = window.requestIdleCallback ?? ((f: () => void) => window.setTimeout(f, 200));
    // a preload that fails is the panel's to report, when it is shown
    const quiet = () => undefined;
    idle(() => {
      loadInspector().catch(quiet);
      loadViewer().catch(quiet);
      if (!readOnlyRef.current) loadPalette().catch(quiet);
    });
  }, []);
  const readOnly = useEditorState((s) => s.readOnly);
  const readOnlyRef = useRef(readOnly);

  const importFile = useCallback(
    (file: File) => {
      void readDocumentFile(file).then(
        (r) => {
          if (r.ok) {
            store.replaceDocument(r.value, { undoable: true });
            requestAnimationFrame(() => void flow.fitView());
            store.notice('info', 'import.ok', `Imported "${r.value.name ?? file.name}".`);
          } else {
            const first = r.issues[0];
            const where = first && first.path.length > 0 ? ` (at ${first.path.join('.')})` : '';
            store.notice(
              'error',
              first?.code ?? 'import.invalid',
              `${file.name} cannot be imported${where}: ${first?.message ?? 'invalid'}`,
            );
          }
        },
        () => store.notice('error', 'import.unreadable', `${file.name} could not be read.`),
      );
    },
    [store, flow],
  );

  const layout = useCallback(() => {
    const sizes = new Map<string, { width: number; height: number }>();
    for (const n of flow.getNodes()) {
      if (n.measured?.width && n.measured.height)
        sizes.set(n.id, { width: n.measured.width, height: n.measured.height });
    }
    void autoLayout(store.document, sizes).then(
      (moves) => {
        store.moveNodes(moves);
        requestAnimationFrame(() => void flow.fitView());
      },
      (error: unknown) =>
        store.notice(
          'error',
          'layout.failed',
          `Auto-layout failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
    );
  }, [store, flow]);

  const openPalette = useCallback((pending: PendingConnection | undefined) => {
    setSearch('');
    setPalette({ pending });
  }, []);

  // the pointer's last place over the canvas, so a node added from the keyboard lands where the person looks
  const pointer = useRef<{ x: number; y: number } | undefined>(undefined);
  const canvasRef = useRef<HTMLDivElement>(null);

  const addAt = useCallback(
    (type: string, port: string | undefined) => {
      const pending = palette?.pending;
      setPalette(undefined);
      const position = pending?.position ?? placeNewNode(store, flow, canvasRef.current, pointer.current);
      const link =
        pending && port
          ? {
              port,
              ...(pending.from ? { from: pending.from } : {}),
              ...(pending.to ? { to: pending.to } : {}),
            }
          : undefined;
      store.addNode(type, position, undefined, link);
      focusCanvas(rootRef.current);
    },
    [store, flow, palette],
  );

  // A browser that fires no copy/paste event on a canvas (nothing selected, nothing editable) gets the
  // clipboard API after the key, and the editor's own last copy when that is refused too.
  const clipboardEvent = useRef(false);
  const clipboardFallback = useCallback(
    (action: 'copy' | 'paste') => {
      clipboardEvent.current = false;
      setTimeout(() => {
        if (clipboardEvent.current) return;
        if (action === 'copy') {
          const text = store.copy();
          if (text) void navigator.clipboard?.writeText(text).catch(() => undefined);
          return;
        }
        const read = navigator.clipboard?.readText();
        if (!read) store.paste();
        else
          void read.then(
            (text) => store.paste(text),
            () => store.paste(),
          );
      }, 0);
    },
    [store],
  );

  const onKeyDown = useCallback(
    (e: KeyboardEvent<HTMLDivElement>) => {
      if (isTyping(e.target)) return;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      const action = shortcut(key, mod, e.shiftKey, readOnly);
      if (!action) {
        if (key === 'escape') setPalette(undefined);
        return;
      }
      // copy and paste go through the browser's copy and paste events (onCopy, onPaste): the system clipboard
      if (action === 'copy' || action === 'paste') {
        clipboardFallback(action);
        return;
      }
      e.preventDefault();
      e.stopPropagation();
      // whatever the action removes (the focused node, on delete or undo), the keyboard stays in the editor
      focusCanvas(rootRef.current);
      if (action === 'undo') store.undo();
      else if (action === 'redo') store.redo();
      else if (action === 'run') void store.run();
      else if (action === 'selectAll') store.selectAll();
      else if (action === 'duplicate') store.duplicate();
      else if (action === 'delete') {
        // the focused node is about to unmount: hold the keyboard on the root now, not a frame later, so a
        // Ctrl+Z pressed at once still reaches the editor
        if (document.activeElement?.closest('.react-flow__node'))
          rootRef.current?.focus({ preventScroll: true });
        store.deleteSelection();
      } else if (action === 'palette') openPalette(undefined);
    },
    [store, readOnly, openPalette, clipboardFallback],
  );

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the editor root takes keyboard shortcuts for the whole canvas
    <div
      className={`lf-root${props.className ? ` ${props.className}` : ''}`}
      data-theme={props.theme}
      onKeyDown={onKeyDown}
      onCopy={(e) => {
        clipboardEvent.current = true;
        // text selected by the person (a label, an error) is theirs to copy
        if (isTyping(e.target) || !window.getSelection()?.isCollapsed) return;
        const text = store.copy();
        if (!text) return;
        e.preventDefault();
        e.clipboardData.setData('text/plain', text);
      }}
      onPaste={(e) => {
        clipboardEvent.current = true;
        if (isTyping(e.target) || readOnly) return;
        e.preventDefault();
        store.paste(e.clipboardData.getData('text/plain'));
        focusCanvas(rootRef.current);
      }}
      ref={rootRef}
      tabIndex={-1}
    >
      <Toolbar
        onAdd={() => openPalette(undefined)}
        onLayout={layout}
        onImport={() => fileInput.current?.click()}
        onExport={() => downloadDocument(store.document)}
        onHistory={() => setHistoryOpen((open) => !open)}
        historyOpen={historyOpen}
      />
      <input
        ref={fileInput}
        type="file"
        accept="application/json,.json"
        className="lf-hidden"
        aria-label="Import a graph file"
        data-testid="import-input"
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          if (file) importFile(file);
          e.currentTarget.value = '';
        }}
      />
      <NoticeBar />
      <ViewerContext.Provider value={setViewer}>
        <div className="lf-body">
          <div
            className="lf-canvas"
            ref={canvasRef}
            onPointerMove={(e) => {
              pointer.current = { x: e.clientX, y: e.clientY };
            }}
            onPointerLeave={() => {
              pointer.current = undefined;
            }}
          >
            <Canvas
              onPaneDropConnection={(pending) => openPalette(pending)}
              onImportFile={importFile}
              showMinimap={props.showMinimap}
            />
            {palette && (
              <PaletteLoader
                pending={palette.pending}
                search={search}
                onSearch={setSearch}
                onPick={addAt}
                onClose={() => {
                  setPalette(undefined);
                  focusCanvas(rootRef.current);
                }}
              />
            )}
          </div>
          {historyOpen && (
            <LazyRunHistory
              onClose={() => setHistoryOpen(false)}
              fallback={<div className="lf-history" aria-busy="true" />}
            />
          )}
          <InspectorLoader />
        </div>
      </ViewerContext.Provider>
      {viewer && <LazyImageViewer state={viewer} onChange={setViewer} fallback={null} />}
      {props.children}
    </div>
  );
}
