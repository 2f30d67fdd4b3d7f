import { library } from '../../tsdown.shared';

export default library({
  // Both transports are entries: `#transport` stays an import that the package's `imports` map resolves to
  // the undici one under node and the fetch one elsewhere, as it does from src/.
  entry: ['src/index.ts', 'src/node.ts', 'src/transport.ts', 'src/transport.node.ts'],
  platform: 'neutral',
  neverBundle: ['#transport'],
});
