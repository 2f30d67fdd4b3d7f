import type { ComponentType } from 'react';
import { bounds, builtinWidgetName, isImageSourceSchema, type JsonSchema } from './json-schema';

export { builtinWidgetName, isImageSourceSchema, type JsonSchema, schemaOf, unwrap } from './json-schema';

/**
 * What every parameter widget receives.
 *
 * @example
 * const Seed = ({ value, onChange, onCommit }: WidgetProps) => (
 *   <input type="number" value={Number(value)} onChange={(e) => onChange(Number(e.currentTarget.value))} onBlur={onCommit} />
 * );
 */
export interface WidgetProps {
  /** The parameter's name (also the form field's name). */
  name: string;
  /** The label to show. */
  label: string;
  /** The current value, or the schema default when unset. */
  value: unknown;
  /** The parameter's JSON Schema. */
  schema: JsonSchema;
  /** Sets the value; `undefined` removes the parameter. */
  onChange(value: unknown): void;
  /** Ends a typing or dragging burst, so the next edit is a new undo step. */
  onCommit(): void;
  disabled: boolean;
  /** The id of the node (or edge) being edited. */
  ownerId: string;
  /** The DOM id the label points at. */
  inputId: string;
  /** Whether the document holds a value (false: `value` is the schema default, or undefined). */
  isSet?: boolean;
  /** The parameter may be unset (optional, no default): the widget offers to clear it. */
  clearable?: boolean;
  /** The unit to show beside the value (`.meta({ unit })`, or read from the key). */
  unit?: string;
}

/**
 * A parameter widget: a React component taking `WidgetProps`.
 *
 * @example
 * const Colour: Widget = ({ value, onChange }) => <input type="color" value={String(value)} onChange={(e) => onChange(e.currentTarget.value)} />;
 */
export type Widget = ComponentType<WidgetProps>;

/**
 * Custom widgets by name. A name is matched against, in order: `nodeType.param`, the schema's
 * `widget` meta, then the built-ins.
 *
 * @example
 * const widgets: WidgetRegistry = { 'colour': ColourWidget, 'my.node.seed': SeedWidget };
 */
export type WidgetRegistry = Readonly<Record<string, Widget>>;

const SliderWidget: Widget = (props) => {
  const { name, label, value, schema, onChange, onCommit, disabled, inputId } = props;
  const { min = 0, max = 1 } = bounds(schema);
  const integer = schema.type === 'integer';
  const step = typeof schema.multipleOf === 'number' ? schema.multipleOf : integer ? 1 : (max - min) / 100;
  // an unset optional number sits mid-range, dimmed, its box empty: it is not the minimum
  const unset = typeof value !== 'number';
  const current = unset ? (min + max) / 2 : value;
  const set = (raw: string) => {
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n)) onChange(n);
    else if (raw.trim() === '' && props.clearable) onChange(undefined);
  };
  return (
    <div className="lf-widget lf-widget--slider" data-unset={unset || undefined}>
      <input
        id={inputId}
        type="range"
        name={name}
        min={min}
        max={max}
        step={step}
        value={current}
        disabled={disabled}
        onChange={(e) => set(e.currentTarget.value)}
        onPointerUp={onCommit}
        onKeyUp={onCommit}
      />
      <input
        type="number"
        aria-label={`${label} value`}
        className="lf-widget__number"
        min={min}
        max={max}
        step={step}
        value={unset ? '' : current}
        placeholder={unset ? 'default' : undefined}
        disabled={disabled}
        onChange={(e) => set(e.currentTarget.value)}
        onBlur={onCommit}
      />
      {props.unit && <span className="lf-widget__unit">{props.unit}</span>}
      <ClearButton {...props} />
    </div>
  );
};

/** "×": unsets an optional parameter, back to its provider default. */
function ClearButton({ label, clearable, isSet, disabled, onChange, onCommit }: WidgetProps) {
  if (!clearable || !isSet) return null;
  return (
    <button
      type="button"
      className="lf-button lf-button--small"
      aria-label={`Clear ${label}`}
      title="Back to the default"
      disabled={disabled}
      onClick={() => {
        onChange(undefined);
        onCommit();
      }}
    >
      ×
    </button>
  );
}

const MAX_SEED = 2_147_483_647;

/**
 * A seed: locked (a number, so the result is reproducible and cached) or free (unset, new every run),
 * with a button for a fresh random seed.
 */
const SeedWidget: Widget = (props) => {
  const { name, label, value, schema, onChange, onCommit, disabled, inputId } = props;
  const max = Math.min(schema.maximum ?? MAX_SEED, MAX_SEED);
  const locked = typeof value === 'number';
  const random = () => Math.floor(Math.random() * (max + 1));
  return (
    <div className="lf-widget lf-widget--seed" data-locked={locked || undefined}>
      <input
        id={inputId}
        className="lf-input"
        type="number"
        name={name}
        step={1}
        min={schema.minimum ?? 0}
        max={max}
        value={locked ? value : ''}
        placeholder="random every run"
        disabled={disabled}
        onChange={(e) => {
          const raw = e.currentTarget.value;
          onChange(raw === '' ? undefined : Math.trunc(Number(raw)));
        }}
        onBlur={onCommit}
      />
      <button
        type="button"
        className="lf-button lf-button--small"
        aria-pressed={locked}
        aria-label={locked ? `Unlock ${label} (random every run)` : `Lock ${label}`}
        title={locked ? 'Locked: same image, cached' : 'Free: a new image every run'}
        disabled={disabled}
        onClick={() => {
          onChange(locked ? undefined : random());
          onCommit();
        }}
      >
        {locked ? '🔒' : '🔓'}
      </button>
      <button
        type="button"
        className="lf-button lf-button--small"
        aria-label={`Randomise ${label}`}
        title="A new random seed"
        disabled={disabled}
        onClick={() => {
          onChange(random());
          onCommit();
        }}
      >
        🎲
      </button>
    </div>
  );
};

const NumberWidget: Widget = (props) => {
  const { name, value, schema, onChange, onCommit, disabled, inputId } = props;
  return (
    <div className="lf-widget lf-widget--number">
      <input
        id={inputId}
        className="lf-input"
        type="number"
        name={name}
        step={schema.type === 'integer' ? 1 : 'any'}
        value={typeof value === 'number' ? value : ''}
        placeholder={typeof schema.default === 'number' ? String(schema.default) : 'default'}
        disabled={disabled}
        onChange={(e) => {
          const raw = e.currentTarget.value;
          onChange(raw === '' ? undefined : Number(raw));
        }}
        onBlur={onCommit}
      />
      {props.unit && <span className="lf-widget__unit">{props.unit}</span>}
      <ClearButton {...props} />
    </div>
  );
};

const SelectWidget: Widget = ({ name, value, schema, onChange, onCommit, disabled, inputId }) => (
  <select
    id={inputId}
    className="lf-widget lf-input"
    name={name}
    value={value === undefined ? '' : String(value)}
    disabled={disabled}
    onChange={(e) => {
      const picked = (schema.enum ?? []).find((v) => String(v) === e.currentTarget.value);
      onChange(picked);
      onCommit();
    }}
  >
    {value === undefined && <option value="">—</option>}
    {(schema.enum ?? []).map((v) => (
      <option key={String(v)} value={String(v)}>
        {String(v)}
      </option>
    ))}
  </select>
);

const CheckboxWidget: Widget = ({ name, value, onChange, onCommit, disabled, inputId }) => (
  <input
    id={inputId}
    className="lf-widget"
    type="checkbox"
    name={name}
    checked={value === true}
    disabled={disabled}
    onChange={(e) => {
      onChange(e.currentTarget.checked);
      onCommit();
    }}
  />
);

const TextWidget: Widget = ({ name, value, onChange, onCommit, disabled, inputId }) => (
  <input
    id={inputId}
    className="lf-widget lf-input"
    type="text"
    name={name}
    value={typeof value === 'string' ? value : ''}
    disabled={disabled}
    onChange={(e) => onChange(e.currentTarget.value)}
    onBlur={onCommit}
  />
);

const TextareaWidget: Widget = ({ name, value, onChange, onCommit, disabled, inputId }) => (
  <textarea
    id={inputId}
    className="lf-widget lf-input lf-textarea"
    name={name}
    rows={4}
    value={typeof value === 'string' ? value : ''}
    disabled={disabled}
    onChange={(e) => onChange(e.currentTarget.value)}
    onBlur={onCommit}
  />
);

const LinesWidget: Widget = ({ name, value, onChange, onCommit, disabled, inputId }) => (
  <textarea
    id={inputId}
    className="lf-widget lf-input lf-textarea"
    name={name}
    rows={3}
    placeholder="one per line"
    value={Array.isArray(value) ? value.join('\n') : ''}
    disabled={disabled}
    onChange={(e) =>
      onChange(
        e.currentTarget.value
          .split('\n')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      )
    }
    onBlur={onCommit}
  />
);

/** What an image list item shows: a preview URL when it has one, and a name. */
function describeImage(item: unknown, i: number): { src: string | undefined; text: string } {
  if (typeof item === 'string')
    return { src: item, text: item.startsWith('data:') ? `image ${i + 1}` : item };
  if (item !== null && typeof item === 'object') {
    const o = item as Record<string, unknown>;
    const name = typeof o.name === 'string' ? o.name : undefined;
    if (typeof o.url === 'string') return { src: o.url, text: name ?? o.url };
    if (typeof o.dataUrl === 'string') return { src: o.dataUrl, text: name ?? `image ${i + 1}` };
    if (typeof o.file === 'string') return { src: undefined, text: name ?? o.file };
    if (typeof o.assetId === 'string') return { src: undefined, text: name ?? o.assetId };
  }
  return { src: undefined, text: `item ${i + 1}` };
}

/**
 * Images: previews, a field to add a URL, and a file picker that adds data URLs. Works on lists of URL
 * strings and on lists of image sources (`{ url }`, `{ dataUrl, name }`, `{ file }`) like a training set's.
 */
const ImagesWidget: Widget = ({ name, value, schema, onChange, onCommit, disabled, inputId }) => {
  const list: unknown[] = Array.isArray(value) ? value : [];
  const objects = schema.items !== undefined && isImageSourceSchema(schema.items);
  const add = (items: unknown[]) => {
    onChange([...list, ...items]);
    onCommit();
  };
  return (
    <div className="lf-widget lf-widget--images">
      <ul className="lf-images">
        {list.map((item, i) => {
          const { src, text } = describeImage(item, i);
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: the same image may be listed twice; position is its identity
            <li key={`${i}:${text.slice(0, 64)}`} className="lf-images__item">
              {src && /^(https?:|data:image\/|blob:)/.test(src) ? (
                <img src={src} alt={`${name} ${i + 1}`} />
              ) : null}
              <span className="lf-images__url" title={text}>
                {text}
              </span>
              <button
                type="button"
                className="lf-button lf-button--small"
                disabled={disabled}
                aria-label={`Remove image ${i + 1}`}
                onClick={() => {
                  onChange(list.filter((_, j) => j !== i));
                  onCommit();
                }}
              >
                ×
              </button>
            </li>
          );
        })}
      </ul>
      <input
        id={inputId}
        className="lf-input"
        type="url"
        placeholder="https://… then Enter"
        disabled={disabled}
        onKeyDown={(e) => {
          if (e.key !== 'Enter') return;
          const url = e.currentTarget.value.trim();
          if (/^https?:\/\//.test(url)) {
            add([objects ? { url } : url]);
            e.currentTarget.value = '';
          }
        }}
      />
      <input
        type="file"
        accept="image/*"
        multiple
        aria-label={`Add ${name} from files`}
        disabled={disabled}
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          void Promise.all(files.map(readAsDataUrl)).then((urls) =>
            add(
              urls.map((dataUrl, i) =>
                objects ? { dataUrl, name: files[i]?.name ?? `image ${i + 1}` } : dataUrl,
              ),
            ),
          );
        }}
      />
    </div>
  );
};

function readAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

const JsonWidget: Widget = ({ name, value, onChange, onCommit, disabled, inputId }) => (
  <textarea
    id={inputId}
    className="lf-widget lf-input lf-textarea lf-textarea--code"
    name={name}
    rows={3}
    defaultValue={value === undefined ? '' : JSON.stringify(value, null, 2)}
    disabled={disabled}
    onBlur={(e) => {
      const raw = e.currentTarget.value.trim();
      if (raw === '') onChange(undefined);
      else {
        try {
          onChange(JSON.parse(raw));
        } catch {
          // Invalid JSON stays in the box for the person to fix; nothing is written.
          return;
        }
      }
      onCommit();
    }}
  />
);

/**
 * The built-in widgets by name.
 *
 * @example
 * <LoraflowEditor packs={packs} widgets={{ 'my.node.strength': BUILTIN_WIDGETS.slider }} />
 */
export const BUILTIN_WIDGETS: WidgetRegistry = {
  slider: SliderWidget,
  number: NumberWidget,
  seed: SeedWidget,
  select: SelectWidget,
  checkbox: CheckboxWidget,
  text: TextWidget,
  textarea: TextareaWidget,
  lines: LinesWidget,
  images: ImagesWidget,
  json: JsonWidget,
};

/** Finds the widget for a parameter: the host's by `nodeType.param`, then by name, then a built-in. */
export function resolveWidget(
  widgets: WidgetRegistry,
  nodeType: string,
  name: string,
  schema: JsonSchema,
): Widget {
  const byParam = widgets[`${nodeType}.${name}`];
  if (byParam) return byParam;
  const widgetName = builtinWidgetName(name, schema);
  return widgets[widgetName] ?? BUILTIN_WIDGETS[widgetName] ?? JsonWidget;
}
