import { LoraflowEditor, useEditorStore } from '@loraflow/editor';
import { loraPackDefinitions } from '@loraflow/nodes/definitions';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect, useMemo } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { createEmulatorRuntime } from './emulator-runtime';
import { examples } from './fixtures';
import { type CatalogueScript, frozenRuntime, scriptedCatalogue } from './scripted-runtime';

const packs = [loraPackDefinitions];

/** Selects a node once the editor is up, so its inspector (and its model button) shows. */
function Select({ nodeId }: { nodeId: string }) {
  const store = useEditorStore();
  useEffect(() => store.select([nodeId], []), [store, nodeId]);
  return null;
}

/**
 * The example graph with its first LoRA selected; models come from a scripted catalogue, or from the real runtime
 * over the in-page emulator when `script` is `emulator`.
 */
function PickerEditor({
  script,
  theme,
  asClass,
}: {
  script: CatalogueScript | 'emulator';
  theme?: 'light' | 'dark';
  asClass?: boolean;
}) {
  const runtime = useMemo(
    () =>
      script === 'emulator'
        ? createEmulatorRuntime().runtime
        : asClass
          ? // its other members are own fields copied from the frozen runtime, which TypeScript cannot see
            (new ClassCatalogueRuntime(script) as unknown as ReturnType<typeof frozenRuntime>)
          : { ...frozenRuntime('queued'), ...scriptedCatalogue(script) },
    [script, asClass],
  );
  return (
    <div style={{ height: '100vh' }}>
      <LoraflowEditor
        packs={packs}
        defaultDocument={examples.composeTrainGenerate}
        runtime={runtime}
        theme={theme ?? 'light'}
      >
        <Select nodeId="watercolor" />
      </LoraflowEditor>
    </div>
  );
}

/**
 * A host's runtime written as a class: its catalogue methods live on the prototype and read a private field, so a
 * call that lost its `this` throws.
 */
class ClassCatalogueRuntime {
  readonly #catalogue: ReturnType<typeof scriptedCatalogue>;
  readonly #script: CatalogueScript;
  constructor(script: CatalogueScript) {
    Object.assign(this, frozenRuntime('queued'));
    this.#script = script;
    this.#catalogue = scriptedCatalogue(script);
  }
  models(query?: Parameters<ReturnType<typeof scriptedCatalogue>['models']>[0]) {
    // a plain method may throw before it returns a promise
    if (this.#script === 'error') throw new Error('The catalogue is not configured on this host.');
    return this.#catalogue.models(query);
  }
  modelThumbnail(ref: string) {
    return this.#catalogue.modelThumbnail(ref);
  }
}

const meta = {
  title: 'Model picker',
  component: PickerEditor,
} satisfies Meta<typeof PickerEditor>;
export default meta;
type Story = StoryObj<typeof meta>;

/** Opens the picker from the inspector's model button; answers the picker's element. */
async function openPicker(canvasElement: HTMLElement): Promise<HTMLElement> {
  const inspector = within(await within(canvasElement).findByRole('complementary', { name: 'Inspector' }));
  await userEvent.click(await inspector.findByRole('button', { name: 'Model: model_flux1-watercolor' }));
  return waitFor(() => {
    const picker = canvasElement.querySelector<HTMLElement>('.lf-inspector [cmdk-root]');
    expect(picker).toBeTruthy();
    return picker as HTMLElement;
  });
}

const names = (picker: HTMLElement) =>
  [...picker.querySelectorAll('.lf-picker__name')].map((n) => n.textContent ?? '');

/** The LoRAs the composition can take (FLUX.1 only), with thumbnails; arrows and Enter choose one in one undo step. */
export const PickerResults: Story = {
  args: { script: 'results' },
  play: async ({ canvasElement }) => {
    const picker = await openPicker(canvasElement);
    await waitFor(
      () =>
        expect(names(picker)).toEqual(['Watercolor Wash', 'Neon Noir', 'Paper Cut', 'Paper lantern (mine)']),
      { timeout: 5_000 },
    );
    expect(picker.textContent).toContain('Only flux.1');
    // every thumbnail arrives as a blob: URL made from sniffed PNG bytes
    await waitFor(
      () => {
        const images = [...picker.querySelectorAll<HTMLImageElement>('img.lf-picker__thumb')];
        expect(images.filter((i) => i.complete && i.src.startsWith('blob:'))).toHaveLength(4);
      },
      { timeout: 5_000 },
    );
    // the current model is where the selection starts; one step down is Neon Noir
    await userEvent.keyboard('{ArrowDown}{Enter}');
    const inspector = within(canvasElement.querySelector<HTMLElement>('.lf-inspector')!);
    const button = await inspector.findByRole('button', { name: 'Model: model_flux1-neon-noir' });
    await waitFor(() => expect(document.activeElement).toBe(button));
    await userEvent.keyboard('{Control>}z{/Control}');
    await inspector.findByRole('button', { name: 'Model: model_flux1-watercolor' });
  },
};

/** On the canvas: the selected LoRA node's own button opens the picker; typing and Enter choose. */
export const PickerOnNode: Story = {
  args: { script: 'results' },
  play: async ({ canvasElement }) => {
    const node = await waitFor(() => {
      const found = canvasElement.querySelector<HTMLElement>('[data-testid="node-watercolor"]');
      expect(found).toBeTruthy();
      return found as HTMLElement;
    });
    await userEvent.click(await within(node).findByRole('button', { name: 'Model: model_flux1-watercolor' }));
    const search = await within(node).findByPlaceholderText('Search models by name…');
    await userEvent.type(search, 'paper cut');
    await waitFor(() => expect(names(node)).toEqual(['Paper Cut']), { timeout: 5_000 });
    await userEvent.keyboard('{Enter}');
    await within(node).findByRole('button', { name: 'Model: model_flux1-paper-cut' });
    expect(node.querySelector('[cmdk-root]')).toBeNull();
    // the node shows the chosen model's picture, from the runtime's sniffed bytes (an object URL), never a URL
    await waitFor(() =>
      expect(node.querySelector<HTMLImageElement>('.lf-node__model-thumb')?.src).toMatch(/^blob:/),
    );
  },
};

/** Lifting the family filter shows every LoRA of the catalogue, FLUX.2 and SDXL included. */
export const PickerAllFamilies: Story = {
  args: { script: 'results' },
  play: async ({ canvasElement }) => {
    const picker = await openPicker(canvasElement);
    await waitFor(() => expect(names(picker)).toHaveLength(4), { timeout: 5_000 });
    await userEvent.click(within(picker).getByRole('checkbox', { name: /Only flux\.1/ }));
    await waitFor(() => expect(names(picker)).toContain('Ink Sketch'));
    expect(picker.querySelectorAll('.lf-picker__family')).toHaveLength(7);
  },
};

/** A search the catalogue has not answered yet says so. */
export const PickerSearching: Story = {
  args: { script: 'slow-search' },
  play: async ({ canvasElement }) => {
    const picker = await openPicker(canvasElement);
    await waitFor(() => expect(names(picker)).toHaveLength(4), { timeout: 5_000 });
    await userEvent.type(within(picker).getByPlaceholderText('Search models by name…'), 'noir');
    await within(picker).findByText('Searching for “noir”…');
  },
};

/** Nothing to pick: the picker says so, and names the filter that applies. */
export const PickerEmpty: Story = {
  args: { script: 'empty' },
  play: async ({ canvasElement }) => {
    const picker = await openPicker(canvasElement);
    await within(picker).findByText('No models to show among flux.1 models.');
    // Escape closes it and gives the focus back to the button
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(canvasElement.querySelector('.lf-inspector [cmdk-root]')).toBeNull());
    await waitFor(() =>
      expect((document.activeElement as HTMLElement | null)?.textContent).toContain('Model:'),
    );
  },
};

/** The server could not read a provider's list: its sentence, and a way to try again. */
export const PickerError: Story = {
  args: { script: 'error' },
  play: async ({ canvasElement }) => {
    const picker = await openPicker(canvasElement);
    const alert = await within(picker).findByRole('alert');
    expect(alert.textContent).toContain('Scenario refused the API key (401)');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  },
};

/** The picker in the dark theme: readable names, badges and meta. */
export const PickerDark: Story = {
  args: { script: 'results', theme: 'dark' },
  play: async ({ canvasElement }) => {
    const picker = await openPicker(canvasElement);
    await waitFor(() => expect(names(picker)).toHaveLength(4), { timeout: 5_000 });
  },
};

/** The real runtime over the in-page emulator: a search finds the public LoRA, with its picture from the emulator. */
export const PickerOnEmulator: Story = {
  args: { script: 'emulator' },
  play: async ({ canvasElement }) => {
    const picker = await openPicker(canvasElement);
    await userEvent.type(within(picker).getByPlaceholderText('Search models by name…'), 'noir');
    await waitFor(() => expect(names(picker)).toEqual(['Neon Noir']), { timeout: 10_000 });
    await waitFor(() =>
      expect(picker.querySelector<HTMLImageElement>('img.lf-picker__thumb')?.src.startsWith('blob:')).toBe(
        true,
      ),
    );
  },
};

/** A catalogue whose pages overlap (its list moved between reads): "More models" lists each model once. */
export const PickerOverlappingPages: Story = {
  args: { script: 'overlapping-pages' },
  play: async ({ canvasElement }) => {
    const picker = await openPicker(canvasElement);
    for (const shown of [2, 3, 4]) {
      await waitFor(() => expect(names(picker)).toHaveLength(shown), { timeout: 5_000 });
      const more = picker.querySelector<HTMLElement>('.lf-picker__more');
      if (more) await userEvent.click(more);
    }
    await waitFor(() => expect(picker.querySelector('.lf-picker__more')).toBeNull());
    await expect(names(picker)).toEqual([
      'Watercolor Wash',
      'Neon Noir',
      'Paper Cut',
      'Paper lantern (mine)',
    ]);
  },
};

/** A press outside the picker closes it, and so does Escape; the keyboard is back on the model button. */
export const PickerClosesOutside: Story = {
  args: { script: 'results' },
  play: async ({ canvasElement }) => {
    const inspector = within(await within(canvasElement).findByRole('complementary', { name: 'Inspector' }));
    const button = await inspector.findByRole('button', { name: 'Model: model_flux1-watercolor' });
    await openPicker(canvasElement);
    // the inspector's title takes no focus: without the picker's care the keyboard would land on <body>
    await userEvent.click(canvasElement.querySelector<HTMLElement>('.lf-inspector__title')!);
    await waitFor(() => expect(canvasElement.querySelector('.lf-inspector [cmdk-root]')).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(button));
    await expect(button.getAttribute('aria-expanded')).toBe('false');
    await openPicker(canvasElement);
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(canvasElement.querySelector('.lf-inspector [cmdk-root]')).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(button));
  },
};

/** A provider sent catalogue rows it could not read: the picker lists the rest and says how many are missing. */
export const PickerDamagedRows: Story = {
  args: { script: 'damaged-rows' },
  play: async ({ canvasElement }) => {
    const picker = await openPicker(canvasElement);
    await waitFor(() => expect(names(picker).length).toBeGreaterThan(0), { timeout: 5_000 });
    const note = picker.querySelector('[data-code="models.skipped"]');
    expect(note?.textContent).toBe('2 catalogue entries could not be read and are not shown.');
  },
};

/** A host's runtime that is a class instance: the picker calls its catalogue as methods, and lists its models. */
export const PickerOnClassRuntime: Story = {
  args: { script: 'results', asClass: true },
  play: async ({ canvasElement }) => {
    const picker = await openPicker(canvasElement);
    await waitFor(() => expect(names(picker)).toHaveLength(4), { timeout: 5_000 });
    expect(within(picker).queryByRole('alert')).toBeNull();
  },
};

/** A host's catalogue method that throws instead of rejecting: the picker says so, with a way to try again. */
export const PickerThrowsAtOnce: Story = {
  args: { script: 'error', asClass: true },
  play: async ({ canvasElement }) => {
    const picker = await openPicker(canvasElement);
    const alert = await within(picker).findByRole('alert');
    expect(alert.textContent).toContain('The catalogue is not configured on this host.');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  },
};
