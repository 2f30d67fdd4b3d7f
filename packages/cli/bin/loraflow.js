#!/usr/bin/env node
// The published entry: the compiled command. In the workspace, run `tsx --conditions=source packages/cli/src/main.ts`.
import '../dist/main.js';
