import { createContext, useCallback, useContext, useRef, useSyncExternalStore } from 'react';
import type { WidgetRegistry } from '../components/widgets';
import type { EditorRuntime } from '../runtime-types';
import type { EditorState, EditorStore } from '../store/editor-store';

/** What the editor's components share: the store, the runtime, custom widgets and a render probe. */
export interface EditorContextValue {
  store: EditorStore;
  runtime: EditorRuntime | undefined;
  widgets: WidgetRegistry;
  onNodeRender: ((nodeId: string) => void) | undefined;
}

export const EditorContext = createContext<EditorContextValue | null>(null);

/**
 * The editor's context; throws a sentence when used outside `<LoraflowEditor>` or `<LoraflowProvider>`.
 *
 * @example
 * const { store } = useEditorContext();
 */
export function useEditorContext(): EditorContextValue {
  const value = useContext(EditorContext);
  if (!value) throw new Error('useEditorContext must be used inside <LoraflowEditor> or <LoraflowProvider>.');
  return value;
}

/**
 * The editor store, for hosts that build their own chrome (buttons, panels) around the canvas.
 *
 * @example
 * const store = useEditorStore();
 * <button onClick={() => store.undo()}>Undo</button>
 */
export function useEditorStore(): EditorStore {
  return useEditorContext().store;
}

/**
 * Reads a slice of the editor state; the component re-renders only when `equal` says the slice changed.
 *
 * @example
 * const canUndo = useEditorState((s) => s.canUndo);
 */
export function useEditorState<T>(
  selector: (state: EditorState) => T,
  equal: (a: T, b: T) => boolean = Object.is,
): T {
  return useSelected(selector, equal, undefined);
}

/** Like `useEditorState`, but told only of changes that may concern node `id` (a drag tells the moved nodes). */
export function useNodeState<T>(
  id: string,
  selector: (state: EditorState) => T,
  equal: (a: T, b: T) => boolean,
): T {
  const store = useEditorStore();
  const subscribe = useCallback((listener: () => void) => store.subscribeNode(id, listener), [store, id]);
  return useSelected(selector, equal, subscribe);
}

function useSelected<T>(
  selector: (state: EditorState) => T,
  equal: (a: T, b: T) => boolean,
  subscribe: ((listener: () => void) => () => void) | undefined,
): T {
  const store = useEditorStore();
  const last = useRef<{ state: EditorState; selector: unknown; value: T } | null>(null);
  // Cached per state and selector: a selector closing over props (a node id) must be asked again when they change.
  const getSnapshot = () => {
    const state = store.getState();
    const prev = last.current;
    if (prev && prev.state === state && prev.selector === selector) return prev.value;
    const value = selector(state);
    if (prev && equal(prev.value, value)) {
      last.current = { state, selector, value: prev.value };
      return prev.value;
    }
    last.current = { state, selector, value };
    return value;
  };
  return useSyncExternalStore(subscribe ?? store.subscribe, getSnapshot, getSnapshot);
}

/**
 * The current document.
 *
 * @example
 * const doc = useEditorDocument();
 */
export function useEditorDocument() {
  return useEditorState((s) => s.doc);
}

/**
 * The run as the editor shows it: status and each node's state.
 *
 * @example
 * const run = useRunState();
 * run.status === 'running';
 */
export function useRunState() {
  return useEditorState((s) => s.run);
}

/**
 * The ids of the selected nodes.
 *
 * @example
 * const selected = useSelection();
 */
export function useSelection(): ReadonlySet<string> {
  return useEditorState((s) => s.selectedNodes);
}

/** Shallow equality of two arrays. */
export function sameArray<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((x, i) => Object.is(x, b[i]));
}
