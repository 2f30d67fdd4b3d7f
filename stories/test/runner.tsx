import '@loraflow/editor/style.css';
import { composeStories, setProjectAnnotations } from '@storybook/react';
import preview from '../.storybook/preview';
import * as editorStories from '../src/Editor.stories';

// Runs one story (render + play function) in the page, the way Storybook's test runner would.
setProjectAnnotations([preview]);
const composed = composeStories(editorStories) as Record<string, { run(): Promise<void> }>;
const probe = window as unknown as { __ready?: boolean; __stories?: string[]; __result?: string };
probe.__stories = Object.keys(composed);
const name = new URLSearchParams(location.search).get('story');
const story = name ? composed[name] : undefined;
if (story) {
  story.run().then(
    () => {
      probe.__result = 'passed';
    },
    (error: unknown) => {
      probe.__result = `failed: ${error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)}`;
    },
  );
} else if (name) probe.__result = `failed: no story named ${name}`;
probe.__ready = true;
