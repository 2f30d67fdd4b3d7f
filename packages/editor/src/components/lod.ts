import type { GraphDocument } from '@loraflow/core';
import { createContext } from 'react';

/**
 * Below this zoom a node draws its title and bare handles only: port labels and types are unreadable there
 * (11 px text at half size), and at 1,000 nodes they triple the canvas's DOM.
 */
export const COMPACT_BELOW_ZOOM = 0.5;

/** Whether the canvas is zoomed out far enough for compact nodes; one value for every node. */
export const CompactContext = createContext(false);

// A node's size before React Flow measures it: the width `.lf-node` starts at, a two-port height.
const NODE_WIDTH = 220;
const NODE_HEIGHT = 100;
// React Flow's fitView defaults: padding 0.1 around the nodes, zoom between minZoom and 2.
const PADDING = 0.1;
const MAX_ZOOM = 2;

/**
 * The viewport `fitView` will settle on, estimated from the document's positions and the canvas's size, so
 * the first render already has the right zoom (and the right level of detail) instead of rendering every
 * node at zoom 1 and fitting afterwards.
 *
 * @example
 * estimateViewport(doc, { width: 1280, height: 720 }, 0.05); // { x, y, zoom }
 */
export function estimateViewport(
  doc: Pick<GraphDocument, 'nodes'>,
  size: { width: number; height: number },
  minZoom: number,
): { x: number; y: number; zoom: number } | undefined {
  if (doc.nodes.length === 0 || size.width <= 0 || size.height <= 0) return undefined;
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const node of doc.nodes) {
    const x = node.position?.x ?? 0;
    const y = node.position?.y ?? 0;
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x + NODE_WIDTH);
    maxY = Math.max(maxY, y + NODE_HEIGHT);
  }
  const width = maxX - minX;
  const height = maxY - minY;
  const zoom = Math.min(
    MAX_ZOOM,
    Math.max(minZoom, Math.min(size.width / (width * (1 + PADDING)), size.height / (height * (1 + PADDING)))),
  );
  return {
    x: size.width / 2 - (minX + width / 2) * zoom,
    y: size.height / 2 - (minY + height / 2) * zoom,
    zoom,
  };
}
