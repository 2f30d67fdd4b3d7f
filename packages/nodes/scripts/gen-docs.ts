// Writes docs/nodes.md from the node definitions; `src/docs.test.ts` fails when the committed page is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderPackDocs } from '../src/docs';
import { loraPack } from '../src/pack';

const target = fileURLToPath(new URL('../../../docs/nodes.md', import.meta.url));
writeFileSync(target, renderPackDocs(loraPack));
process.stdout.write('wrote docs/nodes.md\n');
