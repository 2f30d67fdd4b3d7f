import '@xyflow/react/dist/style.css';
import { applyNodeChanges, type Edge, type Node, type NodeChange, ReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { gridDocument } from '../../src/test/graphs';

// The comparison page for the bench: plain React Flow, default nodes, the same nodes and edges.
const n = Number(new URLSearchParams(location.search).get('n') ?? '100');
const doc = gridDocument(n);
const initialNodes: Node[] = doc.nodes.map((node) => ({
  id: node.id,
  position: node.position ?? { x: 0, y: 0 },
  data: { label: node.id },
}));
const edges: Edge[] = doc.edges.map((e) => ({ id: e.id, source: e.from.node, target: e.to.node }));

function Bare() {
  const [nodes, setNodes] = useState(initialNodes);
  const onNodesChange = useCallback(
    (changes: NodeChange[]) => setNodes((ns) => applyNodeChanges(changes, ns)),
    [],
  );
  useEffect(() => {
    requestAnimationFrame(() => {
      (window as { __ready?: boolean }).__ready = true;
    });
  }, []);
  return (
    <div style={{ width: '100vw', height: '100vh' }}>
      <ReactFlow nodes={nodes} edges={edges} onNodesChange={onNodesChange} minZoom={0.05} fitView />
    </div>
  );
}

(window as { __t0?: number }).__t0 = performance.now();
createRoot(document.getElementById('root')!).render(<Bare />);
