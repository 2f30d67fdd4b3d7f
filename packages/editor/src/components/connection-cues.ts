import type { PortRef } from '@loraflow/core';
import type { EditorStore } from '../store/editor-store';

/** The port a connection starts from: an output (`source`) or an input (`target`). */
export interface ConnectionStart {
  nodeId: string;
  handleId: string;
  handleType: 'source' | 'target';
}

/**
 * The two ends of a would-be edge, in edge order, from where a drag started and the port it meets.
 *
 * @example
 * edgeEnds({ nodeId: 'a', handleId: 'lora', handleType: 'source' }, { node: 'b', port: 'loras' });
 */
export function edgeEnds(start: ConnectionStart, other: PortRef): [PortRef, PortRef] {
  const self = { node: start.nodeId, port: start.handleId };
  return start.handleType === 'source' ? [self, other] : [other, self];
}

/**
 * Marks, for a connection starting at `start`, every port on the canvas it could end on (`data-compat`
 * "valid" or "invalid") and every node with none (`data-compat="none"`), with core's connection check.
 * Attributes on React Flow's own DOM, set once per drag: no node re-renders, so a drag at 2,000 nodes
 * costs one check per port at its start and nothing per pointer move.
 *
 * @example
 * markCompatibility(root, store, { nodeId: 'style', handleId: 'lora', handleType: 'source' });
 */
export function markCompatibility(root: HTMLElement, store: EditorStore, start: ConnectionStart): number {
  const wanted = start.handleType === 'source' ? 'target' : 'source';
  const nodes = new Map<string, boolean>();
  let valid = 0;
  root.dataset.connecting = 'true';
  for (const el of root.querySelectorAll<HTMLElement>(`.react-flow__handle.${wanted}`)) {
    const node = el.dataset.nodeid;
    const port = el.dataset.handleid;
    if (!node || !port) continue;
    if (node === start.nodeId) {
      el.dataset.compat = 'invalid';
      el.setAttribute('aria-disabled', 'true');
      if (!nodes.has(node)) nodes.set(node, false);
      continue;
    }
    const [from, to] = edgeEnds(start, { node, port });
    const ok = store.checkConnection(from, to).ok;
    el.dataset.compat = ok ? 'valid' : 'invalid';
    // a dimmed target is inactive for this drag, and says so to assistive technology
    if (!ok) el.setAttribute('aria-disabled', 'true');
    if (ok) valid++;
    nodes.set(node, (nodes.get(node) ?? false) || ok);
  }
  for (const el of root.querySelectorAll<HTMLElement>('.react-flow__node')) {
    const id = el.dataset.id;
    if (id && id !== start.nodeId && nodes.get(id) !== true) {
      el.dataset.compat = 'none';
      el.setAttribute('aria-disabled', 'true');
    }
  }
  return valid;
}

/**
 * Removes what `markCompatibility` set.
 *
 * @example
 * clearCompatibility(root);
 */
export function clearCompatibility(root: HTMLElement): void {
  if (root.dataset.connecting === undefined) return;
  delete root.dataset.connecting;
  for (const el of root.querySelectorAll<HTMLElement>('[data-compat]')) {
    if (el.dataset.compat !== 'valid') el.removeAttribute('aria-disabled');
    delete el.dataset.compat;
  }
}

/**
 * Wiring from the keyboard: Enter (or Space) on a port starts a connection and marks where it may end;
 * Tab moves between ports; Enter on a port of the other side connects; Escape cancels. Listens on the
 * canvas in the capture phase, so React Flow's own Enter (select the node) never sees these keys.
 *
 * @example
 * const off = keyboardWiring(flowElement, store); // on unmount: off()
 */
export function keyboardWiring(root: HTMLElement, store: EditorStore): () => void {
  let start: ConnectionStart | undefined;
  const cancel = () => {
    start = undefined;
    delete root.dataset.keyboardConnecting;
    clearCompatibility(root);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const el = event.target instanceof HTMLElement ? event.target : null;
    const isHandle = el?.classList.contains('react-flow__handle') === true;
    if (event.key === 'Escape' && start) {
      event.stopPropagation();
      cancel();
      store.notice('info', 'connect.cancelled', 'Connection cancelled.');
      return;
    }
    if (!isHandle || !el || (event.key !== 'Enter' && event.key !== ' ')) return;
    const node = el.dataset.nodeid;
    const port = el.dataset.handleid;
    const handleType = el.classList.contains('source') ? 'source' : 'target';
    if (!node || !port) return;
    event.preventDefault();
    event.stopPropagation();
    if (store.getState().readOnly) return;
    if (!start || start.handleType === handleType) {
      cancel();
      start = { nodeId: node, handleId: port, handleType };
      root.dataset.keyboardConnecting = 'true';
      const n = markCompatibility(root, store, start);
      const side = handleType === 'source' ? 'an input' : 'an output';
      store.notice(
        'info',
        'connect.started',
        n > 0
          ? `Connecting ${port} of ${node}: Tab to ${side} (${n} can take it) and press Enter; Escape cancels.`
          : `Nothing on the canvas can connect to ${port} of ${node}; Escape cancels.`,
      );
      return;
    }
    const [from, to] = edgeEnds(start, { node, port });
    cancel();
    const r = store.connect(from, to);
    if (r.ok)
      store.notice(
        'info',
        'connect.done',
        `Connected ${from.port} of ${from.node} to ${to.port} of ${to.node}.`,
      );
  };
  root.addEventListener('keydown', onKeyDown, true);
  return () => {
    root.removeEventListener('keydown', onKeyDown, true);
    cancel();
  };
}
