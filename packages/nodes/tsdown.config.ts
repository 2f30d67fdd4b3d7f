import { library } from '../../tsdown.shared';

export default library({ entry: ['src/index.ts', 'src/definitions.ts'], platform: 'neutral' });
