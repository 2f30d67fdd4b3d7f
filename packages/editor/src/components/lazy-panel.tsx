import {
  Component,
  type ComponentType,
  createRef,
  type LazyExoticComponent,
  lazy,
  type ReactNode,
  Suspense,
  useState,
} from 'react';

/** The code of the notice a panel shows in its place when its code could not be loaded. */
export const PANEL_LOAD_FAILED = 'panel.load-failed';

/** Catches what a panel throws while loading (a chunk that did not arrive), so only that panel goes. */
class PanelBoundary extends Component<
  {
    what: string;
    className: string;
    onRetry(): void;
    onClose?: (() => void) | undefined;
    children: ReactNode;
  },
  { failed: boolean }
> {
  override state = { failed: false };
  readonly #retry = createRef<HTMLButtonElement>();

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidUpdate(_: unknown, before: { failed: boolean }) {
    // a panel the person just opened (it can be closed) had the keyboard: it goes to Retry, never <body>
    const active = document.activeElement;
    const lost = active === null || active === document.body || active.classList.contains('lf-root');
    if (this.state.failed && !before.failed && this.props.onClose && lost)
      this.#retry.current?.focus({ preventScroll: true });
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    const { onClose } = this.props;
    return (
      <div
        className={`${this.props.className} lf-panel-error`}
        role="alert"
        data-code={PANEL_LOAD_FAILED}
        onKeyDown={(e) => {
          if (e.key !== 'Escape' || !onClose) return;
          e.stopPropagation();
          this.close(e.currentTarget, onClose);
        }}
      >
        <span>
          Could not load the {this.props.what} ({PANEL_LOAD_FAILED}): the network may be down or the editor
          updated.
        </span>
        <span className="lf-panel-error__actions">
          <button
            ref={this.#retry}
            type="button"
            className="lf-button lf-button--small"
            onClick={this.props.onRetry}
          >
            Retry
          </button>
          {onClose && (
            <button
              type="button"
              className="lf-button lf-button--small"
              onClick={(e) => this.close(e.currentTarget, onClose)}
            >
              Close
            </button>
          )}
        </span>
      </div>
    );
  }

  // the notice goes with the focus inside it: the editor's root takes it first, then the owner may move it on
  private close(from: HTMLElement, onClose: () => void) {
    from.closest<HTMLElement>('.lf-root')?.focus({ preventScroll: true });
    onClose();
  }
}

/**
 * A lazily loaded panel that fails alone: while `load` runs it shows `fallback`; when `load` rejects it shows a
 * coded notice ("Could not load the inspector") with a Retry that calls `load` again, and the rest of the editor
 * keeps working. Given `close` (how the panel's props close it), the notice also has Close and takes Escape, so a
 * panel that cannot load (offline) can still be put away. A loaded panel renders at once on every later mount.
 *
 * @example
 * const Inspector = lazyPanel('inspector', 'lf-inspector', () => import('./Inspector').then((m) => m.Inspector));
 * <Inspector fallback={<div className="lf-inspector" aria-busy="true" />} />
 */
export function lazyPanel<P extends object>(
  what: string,
  className: string,
  load: () => Promise<ComponentType<P>>,
  close?: (props: P) => void,
): ComponentType<P & { fallback: ReactNode }> {
  const wrap = () => lazy(() => load().then((c) => ({ default: c })));
  // one lazy component for every mount (React keeps its answer); a retry replaces it, since React also keeps a refusal
  let current: LazyExoticComponent<ComponentType<P>> = wrap();
  // biome-ignore lint/correctness/noComponentHookFactories: made once per panel at module level, never during a render
  function Panel(props: P & { fallback: ReactNode }) {
    const [attempt, setAttempt] = useState(0);
    const { fallback, ...rest } = props;
    const Loaded = current;
    return (
      <PanelBoundary
        key={attempt}
        what={what}
        className={className}
        onClose={close && (() => close(rest as P))}
        onRetry={() => {
          current = wrap();
          setAttempt((a) => a + 1);
        }}
      >
        <Suspense fallback={fallback}>
          <Loaded {...(rest as P)} />
        </Suspense>
      </PanelBoundary>
    );
  }
  Panel.displayName = `LazyPanel(${what})`;
  return Panel;
}
