import { library } from '../../tsdown.shared';

export default library({
  entry: ['src/index.ts'],
  platform: 'neutral',
  // Plain CSS that the host imports itself as `@loraflow/editor/style.css`: copied, not bundled.
  copy: [{ from: 'src/style.css', to: 'dist' }],
});
