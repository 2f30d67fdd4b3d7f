import { library } from '../../tsdown.shared';

export default library({ entry: ['src/index.ts', 'src/node.ts', 'src/contract.ts'], platform: 'node' });
