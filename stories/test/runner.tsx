/// <reference types="vite/client" />
import '@loraflow/editor/style.css';
import { composeStories, setProjectAnnotations } from '@storybook/react';
import axe from 'axe-core';
import preview from '../.storybook/preview';

// Runs one story (render + play function) in the page, the way Storybook's test runner would, then
// axe-core on what it left on screen: a serious or critical violation fails the story.
setProjectAnnotations([preview]);
// every story file: a new one is played without touching this runner
const files = import.meta.glob<Parameters<typeof composeStories>[0]>('../src/*.stories.tsx', { eager: true });
const composed = Object.assign(
  {},
  ...Object.values(files).map((stories) => composeStories(stories)),
) as Record<string, { run(): Promise<void> }>;
const probe = window as unknown as { __ready?: boolean; __stories?: string[]; __result?: string };
probe.__stories = Object.keys(composed);
const name = new URLSearchParams(location.search).get('story');
const story = name ? composed[name] : undefined;

async function accessibilityProblems(): Promise<string | undefined> {
  const results = await axe.run(document, { resultTypes: ['violations'] });
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length === 0) return undefined;
  return bad
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes
          .slice(0, 4)
          .map(
            (n) =>
              `${n.target.join(' ')}${n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, ' ')}]` : ''}`,
          )
          .join(', ')}${v.nodes.length > 4 ? ` and ${v.nodes.length - 4} more` : ''}`,
    )
    .join('\n');
}

if (story) {
  story
    .run()
    .then(accessibilityProblems)
    .then(
      (problems) => {
        probe.__result = problems ? `failed: axe-core found\n${problems}` : 'passed';
      },
      (error: unknown) => {
        probe.__result = `failed: ${error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)}`;
      },
    );
} else if (name) probe.__result = `failed: no story named ${name}`;
probe.__ready = true;
