import '@xyflow/react/dist/style.css';
import { type Edge, type Node, ReactFlow } from '@xyflow/react';
import { createRoot } from 'react-dom/client';

// The smallest React Flow page a host would write: what the editor page is compared with, byte for byte.
const nodes: Node[] = [
  { id: 'a', position: { x: 0, y: 0 }, data: { label: 'a' } },
  { id: 'b', position: { x: 200, y: 0 }, data: { label: 'b' } },
];
const edges: Edge[] = [{ id: 'e', source: 'a', target: 'b' }];

createRoot(document.getElementById('root')!).render(
  <div style={{ width: '100vw', height: '100vh' }}>
    <ReactFlow nodes={nodes} edges={edges} fitView />
  </div>,
);
