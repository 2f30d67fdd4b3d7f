import type { ModelPage, ModelSummary } from '@loraflow/runtime/contract';
import { Command } from 'cmdk';
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useModelThumbnailUrl } from '../images';
import type { EditorRuntime } from '../runtime-types';
import type { ModelPickerProps } from './ModelPicker';
import { mergeModelPages } from './model-picker-logic';

type Listing =
  | { status: 'loading'; models: ModelSummary[] }
  | { status: 'ready'; models: ModelSummary[]; nextCursor?: string; more?: boolean; skipped?: number }
  | { status: 'error'; models: ModelSummary[]; message: string };

const PAGE = 30;

function Thumbnail({ runtime, model }: { runtime: EditorRuntime; model: ModelSummary }) {
  // released when the item leaves the list (a new search, the picker closed)
  const src = useModelThumbnailUrl(runtime, model.thumbnail);
  // decorative: the item's text names the model
  return src ? (
    <img className="lf-picker__thumb" src={src} alt="" />
  ) : (
    <span className="lf-picker__thumb lf-picker__thumb--none" aria-hidden="true" />
  );
}

/**
 * The picker's list, loaded on first use (see {@link ModelPicker}): a searchable list of the providers' models (through `runtime.models`), with thumbnails, family badge and provider;
 * arrows move, Enter chooses, Escape closes. Says so while loading, when nothing matches and when the runtime fails.
 *
 * @example
 * <ModelPickerList runtime={runtime} kind="lora" family="flux.1" onChoose={(m) => setModel(m)} onClose={close} />
 */
export function ModelPickerList(props: ModelPickerProps) {
  const { runtime, kind, family, onChoose, onClose } = props;
  const [search, setSearch] = useState('');
  const [onlyFamily, setOnlyFamily] = useState(family !== undefined);
  const [listing, setListing] = useState<Listing>({ status: 'loading', models: [] });
  const asked = useRef(0);
  const debounceMs = props.debounceMs ?? 200;
  const filterId = useId();

  const query = useMemo(
    () => ({
      ...(kind ? { kind } : {}),
      ...(onlyFamily && family ? { family } : {}),
      ...(search.trim() ? { search: search.trim() } : {}),
      limit: PAGE,
    }),
    [kind, family, onlyFamily, search],
  );

  // Asks for a page; an answer to a question no longer asked (the search moved on) is dropped.
  const load = useCallback(
    (cursor?: string, before: ModelSummary[] = [], skippedBefore = 0) => {
      if (!runtime?.models) {
        setListing({
          status: 'error',
          models: [],
          message: 'This runtime has no model catalogue to pick from.',
        });
        return;
      }
      const id = ++asked.current;
      const asking = cursor ? { ...query, cursor } : query;
      // called as a method (a host's runtime may be a class instance), and a throw is a refusal like a rejection
      new Promise<ModelPage>((resolve) => resolve(runtime.models!(asking))).then(
        (page) => {
          if (asked.current !== id) return;
          // rows a provider sent malformed are counted over every page loaded so far
          const skipped = (cursor ? skippedBefore : 0) + (page.skipped ?? 0);
          setListing(ready({ ...page, models: mergeModelPages(before, page.models), skipped }));
        },
        (error: unknown) => {
          if (asked.current !== id) return;
          const message = error instanceof Error ? error.message : String(error);
          setListing({ status: 'error', models: before, message });
        },
      );
    },
    [runtime, query],
  );

  useEffect(() => {
    setListing((l) => ({ status: 'loading', models: l.models }));
    const timer = setTimeout(() => load(), debounceMs);
    return () => clearTimeout(timer);
  }, [load, debounceMs]);

  const more = () => {
    if (listing.status !== 'ready' || !listing.nextCursor) return;
    setListing({ ...listing, more: true });
    load(listing.nextCursor, listing.models, listing.skipped ?? 0);
  };

  const currentValue = props.current?.id ? `${props.current.provider ?? ''}:${props.current.id}` : undefined;
  return (
    <Command
      className="lf-picker nodrag nowheel nopan"
      label="Choose a model"
      shouldFilter={false}
      loop
      {...(currentValue ? { defaultValue: currentValue } : {})}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <Command.Input
        autoFocus
        value={search}
        onValueChange={setSearch}
        placeholder="Search models by name…"
        aria-label="Search models"
      />
      {family && (
        <label className="lf-picker__filter" htmlFor={filterId}>
          <input
            id={filterId}
            type="checkbox"
            checked={onlyFamily}
            onChange={(e) => setOnlyFamily(e.currentTarget.checked)}
          />
          Only {family} (what this input takes)
        </label>
      )}
      {listing.status === 'loading' && (
        <div className="lf-picker__state" role="status">
          {search.trim() ? `Searching for “${search.trim()}”…` : 'Loading models…'}
        </div>
      )}
      {listing.status === 'error' && (
        <div className="lf-picker__state lf-picker__state--error" role="alert">
          <span>{listing.message}</span>
          {runtime?.models && (
            <button type="button" className="lf-button lf-button--small" onClick={() => load()}>
              Try again
            </button>
          )}
        </div>
      )}
      {listing.status === 'ready' && listing.models.length === 0 && (
        <div className="lf-picker__state" role="status">
          {search.trim() ? `No model matches “${search.trim()}”` : 'No models to show'}
          {onlyFamily && family ? ` among ${family} models.` : '.'}
        </div>
      )}
      {listing.status === 'ready' && listing.skipped ? <SkippedNote count={listing.skipped} /> : null}
      <Command.List>
        {runtime &&
          listing.models.map((model) => (
            <Command.Item
              key={`${model.provider}:${model.id}`}
              value={`${model.provider}:${model.id}`}
              className="lf-picker__item"
              data-current={`${model.provider}:${model.id}` === currentValue || undefined}
              onSelect={() => onChoose(model)}
            >
              <Thumbnail runtime={runtime} model={model} />
              <span className="lf-picker__text">
                <span className="lf-picker__name">{model.name}</span>
                <span className="lf-picker__meta">
                  {model.provider}
                  {model.scope === 'own' ? ' · yours' : ''}
                  {model.kind === 'base' ? ' · base model' : ''}
                </span>
              </span>
              <span className="lf-badge lf-badge--family lf-picker__family">
                {model.familyLabel ?? model.family ?? 'family unknown'}
              </span>
            </Command.Item>
          ))}
        {listing.status === 'ready' && listing.nextCursor && (
          <Command.Item value="__more" className="lf-picker__more" onSelect={more}>
            {listing.more ? 'Loading more…' : 'More models'}
          </Command.Item>
        )}
      </Command.List>
    </Command>
  );
}

/** Says how many catalogue rows a provider sent malformed, which the list leaves out. */
function SkippedNote({ count }: { count: number }) {
  return (
    <div className="lf-picker__state" role="status" data-code="models.skipped">
      {count === 1
        ? '1 catalogue entry could not be read and is not shown.'
        : `${count} catalogue entries could not be read and are not shown.`}
    </div>
  );
}

function ready(page: ModelPage): Listing {
  return {
    status: 'ready',
    models: page.models,
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    ...(page.skipped ? { skipped: page.skipped } : {}),
  };
}
