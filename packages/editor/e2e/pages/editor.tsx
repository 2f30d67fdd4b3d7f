import '../../src/style.css';
import type { GraphDocument } from '@loraflow/core';
import { createRegistry } from '@loraflow/core';
import { useEffect, version } from 'react';
import { createRoot } from 'react-dom/client';
import { LoraflowEditor } from '../../src';
import { gridDocument, pipelineDocument } from '../../src/test/graphs';
import { testPack } from '../../src/test/test-pack';

// The page the browser tests and the bench drive: ?fixture=empty|pipeline|grid&n=&theme=&readonly=1&runtime=none|remote|local
const q = new URLSearchParams(location.search);
const fixture = q.get('fixture') ?? 'pipeline';
const doc: GraphDocument | undefined =
  fixture === 'grid'
    ? gridDocument(Number(q.get('n') ?? '100'))
    : fixture === 'pipeline'
      ? pipelineDocument
      : undefined;
const packs = [testPack];
// runtime=remote: the same component against a runtime on the server, through the remote client.
// Runtimes load only when asked for, so the bench's `runtime=none` page downloads and parses the editor alone.
const runtime =
  q.get('runtime') === 'none'
    ? undefined
    : q.get('runtime') === 'remote'
      ? (await import('@loraflow/runtime')).createRemoteRuntime({ baseUrl: '/api/loraflow' })
      : q.get('runtime') === 'local'
        ? // @loraflow/runtime in the page (memory store): what keeps run history, unlike core's bare engine
          (await import('@loraflow/runtime')).createRuntime({ registry: createRegistry(...packs) })
        : (await import('../../src/test/page-runtime')).createPageRuntime(packs);

interface Probe {
  __ready?: boolean;
  __t0?: number;
  __doc?: GraphDocument;
  __renders: Record<string, number>;
  __runtime?: typeof runtime;
  __react?: string;
}
const probe = window as unknown as Probe;
probe.__renders = {};
probe.__runtime = runtime;
probe.__react = version;
const onNodeRender = (id: string) => {
  probe.__renders[id] = (probe.__renders[id] ?? 0) + 1;
};

function Page() {
  useEffect(() => {
    requestAnimationFrame(() => {
      probe.__ready = true;
    });
  }, []);
  return (
    <div style={{ width: '100vw', height: '100vh' }}>
      <LoraflowEditor
        packs={packs}
        {...(doc ? { defaultDocument: doc } : {})}
        {...(runtime ? { runtime } : {})}
        theme={q.get('theme') === 'dark' ? 'dark' : 'light'}
        readOnly={q.get('readonly') === '1'}
        showMinimap={fixture !== 'grid'}
        onChange={(d) => {
          probe.__doc = d;
        }}
        unstable_onNodeRender={onNodeRender}
      />
    </div>
  );
}

probe.__t0 = performance.now();
createRoot(document.getElementById('root')!).render(<Page />);
