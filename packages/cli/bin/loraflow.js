#!/usr/bin/env node
// The published entry runs the compiled command; in the workspace, `corepack pnpm build` makes it.
try {
  await import('../dist/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist')) throw error;
  process.stderr.write(
    'loraflow: cli.not-built: this copy of @loraflow/cli has no dist/; in the workspace run `corepack pnpm build` first (or run the sources: `corepack pnpm exec tsx --conditions=source packages/cli/src/main.ts`).\n',
  );
  process.exitCode = 2;
}
