import { useStoreApi } from '@xyflow/react';
import { useEffect, useRef } from 'react';

const GAP = 20;
const MIN_PITCH = 10;

/**
 * The canvas's dot grid, drawn with CSS and moved by writing two style properties when the viewport
 * changes: React Flow's SVG `<Background>` re-renders through React on every pan frame.
 */
export function GridBackground() {
  const store = useStoreApi();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let last: readonly [number, number, number] | undefined;
    const apply = (transform: readonly [number, number, number]) => {
      const el = ref.current;
      if (!el || transform === last) return;
      last = transform;
      const [x, y, zoom] = transform;
      // Zoomed out, every second (fourth, ...) dot: a 2 px dot pitch is a grey wash that costs a paint per tile.
      let size = GAP * zoom;
      while (size < MIN_PITCH) size *= 2;
      el.style.backgroundSize = `${size}px ${size}px`;
      el.style.backgroundPosition = `${x % size}px ${y % size}px`;
    };
    apply(store.getState().transform);
    return store.subscribe((state) => apply(state.transform));
  }, [store]);
  return <div ref={ref} className="react-flow__background lf-grid" aria-hidden="true" />;
}
