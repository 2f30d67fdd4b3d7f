import { library } from '../../tsdown.shared';

export default library({ entry: ['src/index.ts'], platform: 'browser' });
