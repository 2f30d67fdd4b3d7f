import {
  Component,
  type ComponentType,
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
  { what: string; className: string; onRetry(): void; children: ReactNode },
  { failed: boolean }
> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div className={`${this.props.className} lf-panel-error`} role="alert" data-code={PANEL_LOAD_FAILED}>
        <span>
          Could not load the {this.props.what} ({PANEL_LOAD_FAILED}): the network may be down or the editor
          updated.
        </span>
        <button type="button" className="lf-button lf-button--small" onClick={this.props.onRetry}>
          Retry
        </button>
      </div>
    );
  }
}

/**
 * A lazily loaded panel that fails alone: while `load` runs it shows `fallback`; when `load` rejects it shows a
 * coded notice ("Could not load the inspector") with a Retry that calls `load` again, and the rest of the editor
 * keeps working. A loaded panel renders at once on every later mount.
 *
 * @example
 * const Inspector = lazyPanel('inspector', 'lf-inspector', () => import('./Inspector').then((m) => m.Inspector));
 * <Inspector fallback={<div className="lf-inspector" aria-busy="true" />} />
 */
export function lazyPanel<P extends object>(
  what: string,
  className: string,
  load: () => Promise<ComponentType<P>>,
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
