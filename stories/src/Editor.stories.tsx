import type { GraphDocument } from '@loraflow/core';
import { LoraflowEditor, type LoraflowEditorProps, useEditorStore } from '@loraflow/editor';
import { loraPackDefinitions } from '@loraflow/nodes/definitions';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect, useMemo } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { createEmulatorRuntime } from './emulator-runtime';
import { bigGraph, everyNodeType, examples, failingTraining, invalidGraph, looseCompose } from './fixtures';
import { type FrozenState, frozenRuntime } from './scripted-runtime';

const packs = [loraPackDefinitions];

/** The editor on the real LoRA pack and, when `emulated`, the real runtime over the in-browser emulator. */
function EmulatedEditor(
  props: Omit<LoraflowEditorProps, 'packs' | 'runtime'> & { emulated?: boolean; speed?: number },
) {
  const { emulated, speed, ...rest } = props;
  const runtime = useMemo(
    () => (emulated ? createEmulatorRuntime({ speed: speed ?? 600 }).runtime : undefined),
    [emulated, speed],
  );
  return (
    <div style={{ height: '100vh' }}>
      <LoraflowEditor
        {...(rest as Omit<LoraflowEditorProps, 'packs'>)}
        packs={packs}
        {...(runtime ? { runtime } : {})}
      />
    </div>
  );
}

function Freeze({
  state,
  doc,
  runtime,
}: {
  state: FrozenState;
  doc: GraphDocument;
  runtime: ReturnType<typeof frozenRuntime>;
}) {
  const store = useEditorStore();
  useEffect(() => {
    void store.attachRun(runtime.start(doc));
  }, [store, runtime, doc]);
  return <span data-frozen={state} hidden />;
}

/** Every node type of the pack, frozen in one run state. */
function FrozenEditor({
  state,
  theme,
  secondImageNeverArrives,
}: {
  state: FrozenState;
  theme?: 'light' | 'dark';
  /** The second output image's bytes never come (a slow or dropped download). */
  secondImageNeverArrives?: boolean;
}) {
  const runtime = useMemo(() => {
    const frozen = frozenRuntime(state);
    if (!secondImageNeverArrives) return frozen;
    const second = (2).toString(16).padStart(64, '0');
    return {
      ...frozen,
      getBlob: (hash: string) =>
        hash === second ? new Promise<undefined>(() => undefined) : frozen.getBlob(hash),
    };
  }, [state, secondImageNeverArrives]);
  return (
    <div style={{ height: '100vh' }}>
      <LoraflowEditor
        packs={packs}
        defaultDocument={everyNodeType}
        runtime={runtime}
        theme={theme ?? 'light'}
      >
        <Freeze state={state} doc={everyNodeType} runtime={runtime} />
      </LoraflowEditor>
    </div>
  );
}

const meta = {
  title: 'Editor',
  component: EmulatedEditor,
} satisfies Meta<typeof EmulatedEditor>;
export default meta;
type Story = StoryObj<typeof meta>;

const node = (canvas: HTMLElement, id: string) =>
  canvas.querySelector<HTMLElement>(`[data-testid="node-${id}"]`);

/** An empty canvas: press / (or + Node) to search the palette. */
export const Empty: Story = {
  args: {},
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(await canvas.findByRole('button', { name: '+ Node' }));
    await userEvent.type(await canvas.findByPlaceholderText(/Search nodes/), 'compose');
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(canvasElement.querySelectorAll('.lf-node')).toHaveLength(1));
    await waitFor(() => expect(canvas.getByRole('heading', { name: 'Compose LoRAs' })).toBeTruthy());
  },
};

/** Typed and Enter at once, before the palette has filtered its list: the best match of what was typed is added. */
export const PaletteEnterAtOnce: Story = {
  args: {},
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(await canvas.findByRole('button', { name: '+ Node' }));
    // the palette itself, not the plain field shown while its code loads
    const input = await waitFor(() => {
      const found = canvasElement.querySelector<HTMLInputElement>('.lf-palette [cmdk-input]');
      expect(found).toBeTruthy();
      return found as HTMLInputElement;
    });
    // typed with no pause between keys right as the palette arrives: Enter comes before cmdk has moved its selection
    await userEvent.type(input, 'wait{Enter}', { delay: null });
    await waitFor(() => expect(canvasElement.querySelectorAll('.lf-node')).toHaveLength(1));
    await waitFor(() => expect(canvas.getByRole('heading', { name: 'Wait for training' })).toBeTruthy());
    // and after choosing with the arrows, Enter adds the chosen item, not the best match
    await userEvent.click(await canvas.findByRole('button', { name: '+ Node' }));
    const again = await waitFor(() => {
      const found = canvasElement.querySelector<HTMLInputElement>('.lf-palette [cmdk-input]');
      expect(found).toBeTruthy();
      return found as HTMLInputElement;
    });
    await userEvent.type(again, 'lora');
    await waitFor(() =>
      expect(
        canvasElement
          .querySelector('.lf-palette [cmdk-item][aria-selected="true"]')
          ?.getAttribute('data-node-type'),
      ).toBe('lora.source'),
    );
    await userEvent.keyboard('{ArrowDown}');
    const chosen = canvasElement.querySelector('.lf-palette [cmdk-item][aria-selected="true"]');
    await expect(chosen?.getAttribute('data-node-type')).not.toBe('lora.source');
    const title = chosen?.querySelector('.lf-palette__title')?.textContent ?? '';
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(canvasElement.querySelectorAll('.lf-node')).toHaveLength(2));
    await expect(
      [...canvasElement.querySelectorAll('.lf-node')].some((n) => n.textContent?.includes(title)),
    ).toBe(true);
  },
};

/** Train a LoRA on five images, compose it with two public ones, generate — all on the in-browser emulator. */
export const ComposeTrainGenerate: Story = {
  args: { defaultDocument: examples.composeTrainGenerate, emulated: true },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('estimate').textContent).toMatch(/8 nodes to run/), {
      timeout: 15_000,
    });
    await userEvent.click(canvas.getByRole('button', { name: /^Run$/ }));
    await waitFor(() => expect(node(canvasElement, 'wait')?.dataset.status).toBe('running'), {
      timeout: 20_000,
    });
    await waitFor(() => expect(canvas.getByTestId('run-status').dataset.status).toBe('succeeded'), {
      timeout: 60_000,
    });
    await waitFor(
      () => expect(node(canvasElement, 'render')?.querySelectorAll('img.lf-thumb').length).toBe(2),
      { timeout: 10_000 },
    );
  },
};

/** The emulator fails the training on cue: the wait fails with the reason, everything downstream is skipped. */
export const TrainingFailsOnCue: Story = {
  args: { defaultDocument: failingTraining, emulated: true },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('estimate')).toBeTruthy(), { timeout: 15_000 });
    await userEvent.click(canvas.getByRole('button', { name: /^Run$/ }));
    await waitFor(() => expect(canvas.getByTestId('run-status').dataset.status).toBe('failed'), {
      timeout: 60_000,
    });
    const failed = [...canvasElement.querySelectorAll<HTMLElement>('.lf-node[data-status="failed"]')];
    await expect(failed.length).toBeGreaterThan(0);
    await expect(node(canvasElement, 'render')?.dataset.status).toBe('skipped');
  },
};

/** A run cancelled while the training is going: the training is cancelled at the provider. */
export const TrainingCancelled: Story = {
  args: { defaultDocument: examples.composeTrainGenerate, emulated: true, speed: 60 },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('estimate')).toBeTruthy(), { timeout: 15_000 });
    await userEvent.click(canvas.getByRole('button', { name: /^Run$/ }));
    await waitFor(() => expect(node(canvasElement, 'wait')?.dataset.status).toBe('running'), {
      timeout: 30_000,
    });
    await userEvent.click(canvas.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(canvas.getByTestId('run-status').dataset.status).toBe('cancelled'), {
      timeout: 30_000,
    });
  },
};

/** The README's example graph at rest on the in-browser emulator (the screenshot in the docs). */
export const ExampleGraph: Story = {
  args: { defaultDocument: examples.composeTrainGenerate, emulated: true },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('estimate').textContent).toMatch(/nodes to run/), {
      timeout: 15_000,
    });
  },
};

/** What a node shows on the canvas: each LoRA's scale in the composition, editable in place; the prompt's text. */
export const NodeContent: Story = {
  args: { defaultDocument: examples.composeTrainGenerate },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const compose = node(canvasElement, 'style')!;
    await waitFor(() => expect(compose.querySelectorAll('.lf-node__connection')).toHaveLength(3));
    const scale = within(compose).getByRole('button', { name: /^Scale of model_flux1-watercolor/ });
    await userEvent.click(scale);
    const input = within(compose).getByRole('spinbutton', { name: /^Scale of model_flux1-watercolor/ });
    await userEvent.clear(input);
    await userEvent.type(input, '0.35');
    await userEvent.keyboard('{Enter}');
    await waitFor(() =>
      expect(
        within(compose).getByRole('button', { name: /^Scale of model_flux1-watercolor/ }).textContent,
      ).toBe('× 0.35'),
    );
    await expect(node(canvasElement, 'prompt')?.textContent).toMatch(/paper lantern/);
    await expect(canvas.getAllByText('flux.1').length).toBeGreaterThan(0);
  },
};

/** Dragging a LoRA's wire: the ports that can take it are ringed, the nodes that cannot are dimmed. */
export const DragCues: Story = {
  args: { defaultDocument: looseCompose },
  play: async ({ canvasElement }) => {
    const start = canvasElement.querySelector<HTMLElement>(
      '.react-flow__node[data-id="watercolor"] .react-flow__handle.source',
    );
    await waitFor(() => expect(start).toBeTruthy());
    // pressed, moved past React Flow's drag threshold and left there, so the story shows the cues
    const box = start!.getBoundingClientRect();
    const at = (dx: number, dy: number) => ({
      bubbles: true,
      cancelable: true,
      button: 0,
      buttons: 1,
      clientX: box.x + box.width / 2 + dx,
      clientY: box.y + box.height / 2 + dy,
    });
    start!.dispatchEvent(new MouseEvent('mousedown', at(0, 0)));
    for (const d of [4, 40, 120]) document.dispatchEvent(new MouseEvent('mousemove', at(d, d / 2)));
    const target = (id: string) =>
      canvasElement.querySelector<HTMLElement>(
        `.react-flow__node[data-id="${id}"] .react-flow__handle.target`,
      );
    await waitFor(() => expect(target('style')?.dataset.compat).toBe('valid'));
    await expect(
      canvasElement.querySelector<HTMLElement>('.react-flow__node[data-id="prompt"]')?.dataset.compat,
    ).toBe('none');
  },
};

/** The same cues on the dark theme (axe-core checks its contrast in the stories' test). */
export const DragCuesDark: Story = {
  args: { defaultDocument: looseCompose, theme: 'dark' },
  ...(DragCues.play ? { play: DragCues.play } : {}),
};

/** Wiring without a mouse: Enter on the composition's output, Tab to the generation's LoRAs, Enter. */
export const KeyboardWiring: Story = {
  args: { defaultDocument: looseCompose },
  play: async ({ canvasElement }) => {
    const handle = (id: string, kind: 'source' | 'target', port: string) =>
      canvasElement.querySelector<HTMLElement>(
        `.react-flow__node[data-id="${id}"] .react-flow__handle.${kind}[data-handleid="${port}"]`,
      );
    await waitFor(() => expect(handle('style', 'source', 'lora')).toBeTruthy());
    handle('style', 'source', 'lora')!.focus();
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(handle('render', 'target', 'loras')?.dataset.compat).toBe('valid'));
    handle('render', 'target', 'loras')!.focus();
    await userEvent.keyboard('{Enter}');
    await waitFor(() =>
      expect(within(canvasElement).getByRole('alert').textContent).toMatch(/^Connected lora of style/),
    );
    await expect(canvasElement.querySelectorAll('[data-compat]').length).toBe(0);
  },
};

/** Several LoRAs at their own strengths in one ModelsLab generation. */
export const ModelsLabMultiLora: Story = {
  args: { defaultDocument: examples.modelslabMultiLora, emulated: true },
};

/** A training set from images, trained and waited for. */
export const TrainFromImages: Story = { args: { defaultDocument: examples.trainFromImages, emulated: true } };

/** Validation problems shown on the nodes and edges they concern. */
export const Invalid: Story = {
  args: { defaultDocument: invalidGraph },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('issue-count').textContent).toMatch(/problem/));
    await expect(node(canvasElement, 'render')?.dataset.invalid).toBe('true');
  },
};

export const Dark: Story = {
  args: { defaultDocument: examples.composeTrainGenerate, theme: 'dark', emulated: true },
};

/** Read-only: no palette, no edits; export still works. */
export const ReadOnly: Story = {
  args: { defaultDocument: examples.composeTrainGenerate, readOnly: true },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(canvas.queryByRole('button', { name: '+ Node' })).toBeNull();
    await expect(canvas.getByRole('button', { name: 'Export' })).toBeTruthy();
  },
};

/** 1,000 nodes. */
export const ThousandNodes: Story = { args: { defaultDocument: bigGraph(500) } };

export const EveryNodeIdle: Story = { args: { defaultDocument: everyNodeType, emulated: true } };
export const EveryNodeQueued: Story = { render: () => <FrozenEditor state="queued" /> };
export const EveryNodeRunning: Story = {
  render: () => <FrozenEditor state="running" />,
  play: async ({ canvasElement }) => {
    await waitFor(() =>
      expect(node(canvasElement, 'wait')?.textContent).toMatch(/42%.*#2 in queue.*12 min 34 s left/),
    );
  },
};
export const EveryNodeCached: Story = { render: () => <FrozenEditor state="cached" /> };
export const EveryNodeSucceeded: Story = {
  render: () => <FrozenEditor state="succeeded" />,
  play: async ({ canvasElement }) => {
    await waitFor(() =>
      expect(node(canvasElement, 'render')?.querySelectorAll('img.lf-thumb').length).toBe(2),
    );
  },
};
/** Opens the render node's first image in the viewer (once `thumbs` thumbnails show) and steps to the second. */
async function stepToSecondImage(canvasElement: HTMLElement, thumbs: number): Promise<HTMLElement> {
  const render = await waitFor(() => {
    const n = node(canvasElement, 'render');
    expect(n?.querySelectorAll('img.lf-thumb').length).toBe(thumbs);
    return n!;
  });
  await userEvent.click(within(render).getByRole('button', { name: /^Enlarge .* output 1$/ }));
  const dialog = await within(canvasElement).findByRole('dialog', { name: /image 1 of 2$/ });
  await waitFor(() => expect(within(dialog).getByRole('link', { name: 'Download' })).toBeTruthy());
  await userEvent.keyboard('{ArrowRight}');
  await waitFor(() => expect(dialog.getAttribute('aria-label')).toMatch(/image 2 of 2$/));
  return dialog;
}
/** A generation's images: click one to see it full size, step with ← →, download it, Escape closes. */
export const ImageViewer: Story = {
  render: () => <FrozenEditor state="succeeded" />,
  play: async ({ canvasElement }) => {
    const dialog = await stepToSecondImage(canvasElement, 2);
    await expect(within(dialog).getByRole('link', { name: 'Download' }).getAttribute('download')).toMatch(
      /-2-/,
    );
  },
};
/** Stepping to an image still loading: the viewer waits for it, never showing or offering the one before under its name. */
export const ImageViewerStepsToLoading: Story = {
  render: () => <FrozenEditor state="succeeded" secondImageNeverArrives />,
  play: async ({ canvasElement }) => {
    const dialog = await stepToSecondImage(canvasElement, 1);
    await expect(within(dialog).queryByRole('link', { name: 'Download' })).toBeNull();
    await expect(dialog.querySelector('img.lf-viewer__image')).toBeNull();
  },
};
export const EveryNodeFailed: Story = { render: () => <FrozenEditor state="failed" /> };
export const EveryNodeSkipped: Story = { render: () => <FrozenEditor state="skipped" /> };
export const EveryNodeRunningDark: Story = { render: () => <FrozenEditor state="running" theme="dark" /> };
