export {
  type Catalogue,
  createCatalogue,
  defaultParams,
  kindColour,
  type Refusal,
  type ResolvedPort,
} from './catalogue';
export { NODE_DRAG_MIME } from './components/Canvas';
export { LoraflowEditor, type LoraflowEditorProps, LoraflowProvider } from './components/LoraflowEditor';
export {
  BUILTIN_WIDGETS,
  type JsonSchema,
  type Widget,
  type WidgetProps,
  type WidgetRegistry,
} from './components/widgets';
export { findImages, type ImageRef, useBlobUrl } from './images';
export { parseDocumentText, serializeDocument } from './io';
export { autoLayout } from './layout';
export {
  useEditorContext,
  useEditorDocument,
  useEditorState,
  useEditorStore,
  useRunState,
  useSelection,
} from './react/context';
export type { EditorRuntime, ExplainEntry, RunEstimate, RunHandleLike } from './runtime-types';
export {
  createEditorStore,
  type EditorState,
  EditorStore,
  type EditorStoreOptions,
  type NodeRunStatus,
  type NodeRunView,
  type Notice,
  type RunView,
} from './store/editor-store';
export { History } from './store/history';
export { Subscribable } from './store/subscribable';
