export {
  type Catalogue,
  createCatalogue,
  defaultParams,
  kindColour,
  type Refusal,
  type ResolvedPort,
  typeColour,
  typeFamily,
} from './catalogue';
export { NODE_DRAG_MIME } from './components/Canvas';
export { LoraflowEditor, type LoraflowEditorProps, LoraflowProvider } from './components/LoraflowEditor';
export { ModelPicker, ModelPickerButton, type ModelPickerProps } from './components/ModelPicker';
export { downstreamFamily, modelChoiceOf, paramsForModel } from './components/model-picker-logic';
export { PALETTE_SYNONYMS, type PaletteEntryText, paletteScore } from './components/palette-search';
export { RunHistory, type RunHistoryProps } from './components/RunHistory';
export {
  BUILTIN_WIDGETS,
  type JsonSchema,
  type Widget,
  type WidgetProps,
  type WidgetRegistry,
} from './components/widgets';
export { findImages, type ImageRef, useBlobUrl } from './images';
export {
  type ClipboardNodes,
  parseClipboardText,
  parseDocumentText,
  serializeClipboard,
  serializeDocument,
} from './io';
export { autoLayout } from './layout';
export { humanise, type ParamField, paramFields, starterParams } from './params';
export {
  useEditorContext,
  useEditorDocument,
  useEditorState,
  useEditorStore,
  useRunState,
  useSelection,
} from './react/context';
export type {
  EditorRuntime,
  ExplainEntry,
  NodeEstimate,
  RunEstimate,
  RunHandleLike,
  RunRecord,
} from './runtime-types';
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
