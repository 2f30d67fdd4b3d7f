import '../../src/style.css';
import { loraPackDefinitions } from '@loraflow/nodes/definitions';
import { createRemoteRuntime } from '@loraflow/runtime';
import { createRoot } from 'react-dom/client';
import { LoraflowEditor } from '../../src';

// The page docs/embedding-editor.md describes: the editor, the LoRA pack's definitions and a runtime on
// the host's server. Everything it imports is what a host's users download.
const runtime = createRemoteRuntime({ baseUrl: '/api/loraflow' });

createRoot(document.getElementById('root')!).render(
  <div style={{ width: '100vw', height: '100vh' }}>
    <LoraflowEditor packs={[loraPackDefinitions]} runtime={runtime} />
  </div>,
);
