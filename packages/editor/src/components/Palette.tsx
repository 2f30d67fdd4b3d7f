import type { AnyNodeDefinition } from '@loraflow/core';
import { Command } from 'cmdk';
import { useCallback, useEffect, useMemo, useRef } from 'react';
import { useEditorContext } from '../react/context';
import { NODE_DRAG_MIME, type PendingConnection } from './Canvas';
import {
  bestInGroups,
  type PaletteEntryText,
  palettePlaceholder,
  paletteScore,
  rankGroups,
} from './palette-search';

/** Which input or output of `def` a pending connection could attach to, if any. */
export function compatiblePort(
  def: AnyNodeDefinition,
  pending: PendingConnection,
  check: (defType: string, port: string, side: 'in' | 'out') => boolean,
): string | undefined {
  if (pending.from) return Object.keys(def.inputs ?? {}).find((p) => check(def.type, p, 'in'));
  if (pending.to) return Object.keys(def.outputs ?? {}).find((p) => check(def.type, p, 'out'));
  return undefined;
}

/** What the palette is opened with; the search text is the editor's, so keys typed before it loads count. */
export interface PaletteProps {
  pending: PendingConnection | undefined;
  search: string;
  onSearch(search: string): void;
  onPick(type: string, port: string | undefined): void;
  onClose(): void;
  /** Enter was pressed before the palette loaded: pick the best match as soon as it has. */
  pickOnOpen?: boolean;
}

/**
 * The node palette: search by name, category or port type; Enter adds, dragging drops on the canvas.
 * Opened from a connection dropped on empty canvas, it lists only the nodes that can take it.
 */
// long because it is one cmdk tree: its entries, ranking (in palette-search.ts) and keys share the same search
export function Palette(props: PaletteProps) {
  const { store } = useEditorContext();
  const catalogue = store.catalogue;

  const entries = useMemo(() => {
    const pending = props.pending;
    // One scratch document holding a probe node of every type: core analyses it once, then each
    // candidate port is one connection check against it.
    const probeId = (type: string) => `\u0000probe:${type}`;
    const doc = store.getState().typesDoc;
    const scratch = pending
      ? {
          ...doc,
          nodes: [...doc.nodes, ...catalogue.definitions.map((d) => ({ id: probeId(d.type), type: d.type }))],
        }
      : doc;
    return catalogue.definitions
      .map((def) => {
        const inputs = Object.values(def.inputs ?? {}).map((s) =>
          typeof s.type === 'function' ? undefined : catalogue.label(s.type),
        );
        const outputs = Object.values(def.outputs ?? {}).map((s) =>
          typeof s.type === 'function' ? undefined : catalogue.label(s.type),
        );
        const keywords = [def.category ?? '', def.type, ...inputs, ...outputs].filter(
          (k): k is string => typeof k === 'string' && k !== '',
        );
        let port: string | undefined;
        if (pending) {
          port = compatiblePort(def, pending, (defType, name, side) => {
            const probe = { node: probeId(defType), port: name };
            if (side === 'in' && pending.from) return catalogue.check(scratch, pending.from, probe).ok;
            return pending.to ? catalogue.check(scratch, probe, pending.to).ok : false;
          });
          if (port === undefined) return undefined;
        }
        return { def, keywords, port };
      })
      .filter((e): e is NonNullable<typeof e> => e !== undefined);
  }, [catalogue, props.pending, store]);

  // cmdk asks for a score per item value (the node type): ours ranks titles first and knows synonyms
  const texts = useMemo(
    () =>
      new Map<string, PaletteEntryText>(
        entries.map((e) => [
          e.def.type,
          {
            title: e.def.title ?? e.def.type,
            type: e.def.type,
            keywords: e.keywords,
            description: e.def.description ?? '',
          },
        ]),
      ),
    [entries],
  );
  const filter = useCallback(
    (value: string, search: string) => {
      const text = texts.get(value);
      return text ? paletteScore(search, text) : 0;
    },
    [texts],
  );

  const groups = useMemo(() => {
    const byCategory = new Map<string, typeof entries>();
    for (const e of entries) {
      const key = e.def.category ?? 'Other';
      const list = byCategory.get(key);
      if (list) list.push(e);
      else byCategory.set(key, [e]);
    }
    return [...byCategory.entries()];
  }, [entries]);
  // Groups in the order of their best match: cmdk 1.1 sorts the items inside a group but fails to move the groups
  // (it looks them up by an id they do not carry), so "lora" highlighted "Generate with LoRAs" before "LoRA".
  const ordered = useMemo(
    () => (props.search.trim() === '' ? groups : rankGroups(groups, (e) => filter(e.def.type, props.search))),
    [groups, filter, props.search],
  );
  // what Enter adds for `search`: the item cmdk puts on top once it has filtered
  const pick = (search: string) => {
    const best = bestInGroups(ordered, (e) => filter(e.def.type, search));
    if (best) props.onPick(best.def.type, best.port);
  };

  const pickOnOpen = useRef(props.pickOnOpen === true);
  useEffect(() => {
    if (!pickOnOpen.current) return;
    pickOnOpen.current = false;
    pick(props.search);
  });
  // Whether the person chose an item (arrows, pointer) since the search last changed; until then Enter adds the best
  // match of what is typed, even before cmdk has filtered the list and moved its selection onto it.
  const chose = useRef(false);

  return (
    <div className="lf-palette" role="dialog" aria-label="Add a node">
      <Command label="Add a node" loop filter={filter}>
        <Command.Input
          autoFocus
          value={props.search}
          onValueChange={(search) => {
            chose.current = false;
            props.onSearch(search);
          }}
          placeholder={palettePlaceholder(props.pending !== undefined)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              props.onClose();
            } else if (
              ['ArrowDown', 'ArrowUp', 'Home', 'End', 'PageUp', 'PageDown'].includes(e.key) ||
              e.ctrlKey
            ) {
              chose.current = true;
            } else if (e.key === 'Enter' && !chose.current && !e.nativeEvent.isComposing) {
              // the field's own value: the search state and cmdk's filter may both be a render behind it
              e.preventDefault();
              pick(e.currentTarget.value);
            }
          }}
        />
        <Command.List
          onPointerMove={() => {
            chose.current = true;
          }}
        >
          <Command.Empty>No node matches.</Command.Empty>
          {ordered.map(([category, list]) => (
            <Command.Group key={category} heading={category}>
              {list.map(({ def, port }) => (
                <Command.Item
                  key={def.type}
                  value={def.type}
                  onSelect={() => props.onPick(def.type, port)}
                  data-node-type={def.type}
                >
                  {/* biome-ignore lint/a11y/noStaticElementInteractions: dragging is the mouse alternative to Enter on the item */}
                  <span
                    className="lf-palette__item"
                    draggable
                    onDragStart={(e) => {
                      e.dataTransfer.setData(NODE_DRAG_MIME, def.type);
                      e.dataTransfer.effectAllowed = 'copy';
                    }}
                  >
                    <span className="lf-palette__title">{def.title ?? def.type}</span>
                    <span className="lf-palette__meta">{def.type}</span>
                    {def.description && <span className="lf-palette__description">{def.description}</span>}
                  </span>
                </Command.Item>
              ))}
            </Command.Group>
          ))}
        </Command.List>
      </Command>
    </div>
  );
}
