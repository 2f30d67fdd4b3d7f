import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderPackDocs } from './docs';
import { loraPack } from './pack';

describe('the node pack reference', () => {
  it('matches the committed docs/nodes.md (run `corepack pnpm --filter @loraflow/nodes docs` after changing a node)', () => {
    const committed = readFileSync(new URL('../../../docs/nodes.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderPackDocs(loraPack));
  });

  it('documents every node, port and param of the pack', () => {
    const page = renderPackDocs(loraPack);
    for (const def of loraPack.nodes) {
      expect(page).toContain(`### \`${def.type}\``);
      for (const port of [...Object.keys(def.inputs ?? {}), ...Object.keys(def.outputs)])
        expect(page).toContain(`| \`${port}\` |`);
    }
    expect(page).toContain('| `modelType` |');
    expect(page).toContain('`scale` -2..2');
    expect(page).toContain('`strength` 0..2');
  });
});
