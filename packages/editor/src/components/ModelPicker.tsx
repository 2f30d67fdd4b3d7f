import type { ModelSummary } from '@loraflow/runtime/contract';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useEditorContext, useEditorState } from '../react/context';
import type { EditorRuntime } from '../runtime-types';
import { lazyPanel } from './lazy-panel';
import { downstreamFamily, modelChoiceOf, paramsForModel } from './model-picker-logic';
import { schemaOf } from './widgets';

/**
 * Props of {@link ModelPicker}.
 *
 * @example
 * const props: ModelPickerProps = { runtime, kind: 'lora', family: 'flux.1', onChoose: set, onClose: close };
 */
export interface ModelPickerProps {
  runtime: EditorRuntime | undefined;
  /** `lora` for a LoRA input, `base` for a checkpoint; all when absent. */
  kind?: 'lora' | 'base';
  /** The family the graph needs here: the list starts filtered to it, and the filter can be lifted. */
  family?: string;
  /** The model chosen now, marked in the list. */
  current?: { provider?: string | undefined; id?: string | undefined };
  onChoose(model: ModelSummary): void;
  onClose(): void;
  /** Wait after a keystroke before asking the runtime (default 200 ms). */
  debounceMs?: number;
}

// The list loads on first opening, outside the editor's entry chunk (the bundle budget counts the entry).
const List = lazyPanel(
  'model list',
  'lf-picker',
  () => import('./ModelPickerList').then((m) => m.ModelPickerList),
  (p) => p.onClose(),
);

/**
 * A searchable list of the providers' models (through `runtime.models`), with thumbnails, family badge and provider;
 * arrows move, Enter chooses, Escape closes. Says so while loading, when nothing matches and when the runtime fails.
 *
 * @example
 * <ModelPicker runtime={runtime} kind="lora" family="flux.1" onChoose={(m) => setModel(m)} onClose={close} />
 */
export function ModelPicker(props: ModelPickerProps) {
  return (
    <List
      {...props}
      fallback={
        <div className="lf-picker lf-picker__state" role="status">
          Loading models…
        </div>
      }
    />
  );
}

/**
 * The picker's place on a node or in the inspector: a button naming the chosen model that opens {@link ModelPicker}
 * filtered to what the node's downstream needs (only when the runtime has `models`); a choice sets the node's model params in one undo step and gives
 * the focus back to the button. Renders nothing for a node without a `modelId` param.
 *
 * @example
 * <ModelPickerButton nodeId="style" />
 */
export function ModelPickerButton({ nodeId, compact }: { nodeId: string; compact?: boolean }) {
  const { store, runtime } = useEditorContext();
  // a drag moves the node on every pointer move; only its type and params matter here
  const node = useEditorState(
    (s) => s.nodesById.get(nodeId),
    (a, b) => a === b || (a?.type === b?.type && a?.params === b?.params),
  );
  const readOnly = useEditorState((s) => s.readOnly);
  const doc = useEditorState((s) => s.typesDoc);
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const choice = useMemo(
    () => (node ? modelChoiceOf(store.catalogue, node, doc) : undefined),
    [node, doc, store],
  );
  const family = useMemo(
    () => (open ? downstreamFamily(store.catalogue, doc, nodeId) : undefined),
    [open, doc, nodeId, store],
  );
  const field = useRef<HTMLDivElement>(null);
  // a press outside the picker closes it, as a menu does; the focus stays where that press put it
  useEffect(() => {
    if (!open) return;
    const outside = (e: PointerEvent) => {
      if (e.target instanceof Node && field.current?.contains(e.target)) return;
      setOpen(false);
      // a press on something that takes no focus leaves it on <body> or the editor's root: back to the button then
      const root = field.current?.closest('.lf-root');
      requestAnimationFrame(() => {
        const now = document.activeElement;
        if (now === null || now === document.body || now === root) button.current?.focus();
      });
    };
    // captured: the canvas stops the pointer events it handles from reaching the document
    document.addEventListener('pointerdown', outside, true);
    return () => document.removeEventListener('pointerdown', outside, true);
  }, [open]);
  // without a catalogue (no runtime, or one without `models`) the id stays a plain field
  if (!node || !choice || readOnly || !runtime?.models) return null;
  const params = (node.params ?? {}) as Record<string, unknown>;
  const modelId = typeof params.modelId === 'string' ? params.modelId : undefined;
  const close = () => {
    setOpen(false);
    // the focus goes back where it came from, never to <body>
    requestAnimationFrame(() => button.current?.focus());
  };
  return (
    <div
      ref={field}
      className={compact ? 'lf-picker-field lf-picker-field--compact nodrag' : 'lf-picker-field'}
    >
      <button
        ref={button}
        type="button"
        className="lf-button lf-picker-field__button nodrag"
        aria-expanded={open}
        aria-haspopup="listbox"
        onClick={() => setOpen((o) => !o)}
      >
        {modelId ? `Model: ${modelId}` : 'Choose a model…'}
      </button>
      {open && (
        <div className="lf-picker-field__popover">
          <ModelPicker
            runtime={runtime}
            {...(choice.kind ? { kind: choice.kind } : {})}
            {...(family ? { family } : {})}
            current={{
              provider: typeof params.provider === 'string' ? params.provider : undefined,
              id: modelId,
            }}
            onChoose={(model) => {
              const def = store.catalogue.definition(node.type);
              store.edit([
                { type: 'params.patch', id: node.id, values: paramsForModel(schemaOf(def?.params), model) },
              ]);
              store.closeStep();
              close();
            }}
            onClose={close}
          />
        </div>
      )}
    </div>
  );
}
