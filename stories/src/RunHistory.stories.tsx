import type { GraphDocument } from '@loraflow/core';
import { LoraflowEditor } from '@loraflow/editor';
import { loraPackDefinitions } from '@loraflow/nodes/definitions';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { useMemo } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { examples } from './fixtures';
import { historyRuntime, type PastRun } from './history-runtime';

const packs = [loraPackDefinitions];
const doc: GraphDocument = examples.composeTrainGenerate;

// how many times the story's runtime was asked for its runs
let listed = 0;

/** The editor on a runtime that keeps a few earlier runs of the example graph. */
function HistoryEditor(props: { runs: readonly PastRun[]; theme?: 'light' | 'dark' }) {
  const runtime = useMemo(() => {
    listed = 0;
    const kept = historyRuntime(doc, props.runs, examples.trainFromImages);
    const listRuns = kept.listRuns!;
    return {
      ...kept,
      listRuns: (...args: Parameters<typeof listRuns>) => {
        listed++;
        return listRuns(...args);
      },
    };
  }, [props.runs]);
  return (
    <div style={{ height: '100vh' }}>
      <LoraflowEditor packs={packs} defaultDocument={doc} runtime={runtime} theme={props.theme ?? 'light'} />
    </div>
  );
}

const meta = {
  title: 'Run history',
  component: HistoryEditor,
} satisfies Meta<typeof HistoryEditor>;
export default meta;
type Story = StoryObj<typeof meta>;

const node = (root: HTMLElement, id: string) => root.querySelector<HTMLElement>(`[data-testid="node-${id}"]`);

async function openHistory(root: HTMLElement): Promise<HTMLElement> {
  await userEvent.click(await within(root).findByRole('button', { name: 'History' }));
  return within(root).findByRole('region', { name: 'Run history' });
}

const items = (panel: HTMLElement) => [...panel.querySelectorAll<HTMLElement>('.lf-history__item')];

/** No run yet: the panel says how one gets there. */
export const HistoryEmpty: Story = {
  args: { runs: [] },
  play: async ({ canvasElement }) => {
    const panel = await openHistory(canvasElement);
    await waitFor(() => expect(panel.textContent).toContain('No runs yet'));
    await expect(document.activeElement?.textContent).toBe('Run history');
  },
};

/** Several runs, newest first: status, when, how long, thumbnails; one still going, one of another graph. */
export const HistorySeveralRuns: Story = {
  args: { runs: ['succeeded', 'cached', 'failed', 'cancelled', 'running', 'otherGraph'] },
  play: async ({ canvasElement }) => {
    const panel = await openHistory(canvasElement);
    await waitFor(() => expect(items(panel)).toHaveLength(6));
    const [going, newest] = items(panel);
    await expect(going?.dataset.status).toBe('running');
    await expect(going?.querySelector('button.lf-history__open')?.hasAttribute('disabled')).toBe(true);
    await waitFor(() => expect(newest?.querySelectorAll('img.lf-history__thumb')).toHaveLength(2));
    await expect(newest?.textContent).toMatch(/2 minutes ago: succeeded, took 3 min 12 s, 2 images/);
    await expect(within(panel).getAllByRole('button', { name: 'Open its graph' })).toHaveLength(1);
  },
};

/** A failed run reopened: the failing node says why, the ones after it were skipped. */
export const HistoryFailedRun: Story = {
  args: { runs: ['succeeded', 'failed'] },
  play: async ({ canvasElement }) => {
    const panel = await openHistory(canvasElement);
    const failed = await waitFor(() => {
      const item = items(panel).find((i) => i.dataset.status === 'failed');
      expect(item?.textContent).toContain('train failed: Scenario answered 503 three times.');
      return item!;
    });
    await userEvent.click(failed.querySelector('button.lf-history__open')!);
    await waitFor(() => expect(node(canvasElement, 'train')?.dataset.status).toBe('failed'));
    await expect(node(canvasElement, 'train')?.textContent).toContain('the training was not started');
    await expect(node(canvasElement, 'render')?.dataset.status).toBe('skipped');
    await expect(failed.getAttribute('aria-current')).toBe('true');
  },
};

/** An earlier run reopened from the keyboard: its images on the canvas, then in the viewer. */
export const HistoryReopened: Story = {
  args: { runs: ['succeeded', 'cached'] },
  play: async ({ canvasElement }) => {
    const panel = await openHistory(canvasElement);
    await waitFor(() => expect(items(panel)).toHaveLength(2));
    const older = items(panel)[1]!;
    older.querySelector<HTMLButtonElement>('button.lf-history__open')!.focus();
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(node(canvasElement, 'render')?.dataset.status).toBe('cached'));
    await waitFor(() =>
      expect(node(canvasElement, 'render')?.querySelectorAll('img.lf-thumb')).toHaveLength(2),
    );
    await userEvent.tab();
    await expect(document.activeElement?.textContent).toBe('View 2 images');
    await userEvent.keyboard('{Enter}');
    const dialog = await within(canvasElement).findByRole('dialog', { name: /image 1 of 2$/ });
    await waitFor(() => expect(within(dialog).getByRole('link', { name: 'Download' })).toBeTruthy());
  },
};

/** The panel in the dark theme: readable statuses, times and buttons (axe-core checks the contrast). */
export const HistoryDark: Story = {
  args: { runs: ['succeeded', 'cached', 'failed', 'cancelled', 'running', 'otherGraph'], theme: 'dark' },
  play: async ({ canvasElement }) => {
    const panel = await openHistory(canvasElement);
    await waitFor(() => expect(items(panel)).toHaveLength(6));
    await waitFor(() => expect(items(panel)[1]?.querySelectorAll('img.lf-history__thumb')).toHaveLength(2));
  },
};

/** More runs than a page: "Show older runs" lists the next ones and the keyboard lands on the first of them. */
export const HistoryManyRuns: Story = {
  args: { runs: Array.from({ length: 24 }, (_, i): PastRun => (i % 3 === 1 ? 'cached' : 'succeeded')) },
  play: async ({ canvasElement }) => {
    const panel = await openHistory(canvasElement);
    await waitFor(() => expect(items(panel)).toHaveLength(20));
    await userEvent.click(within(panel).getByRole('button', { name: 'Show older runs' }));
    await waitFor(() => expect(items(panel)).toHaveLength(24));
    await expect(within(panel).queryByRole('button', { name: 'Show older runs' })).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(items(panel)[20]?.querySelector('button')));
  },
};

/** A run of another graph: Open its graph puts that graph on the canvas with the run's states, one undo step. */
export const HistoryOtherGraph: Story = {
  args: { runs: ['succeeded', 'otherGraph'] },
  play: async ({ canvasElement }) => {
    const panel = await openHistory(canvasElement);
    await userEvent.click(await within(panel).findByRole('button', { name: 'Open its graph' }));
    const other = examples.trainFromImages;
    await waitFor(() => expect(canvasElement.querySelectorAll('.lf-node')).toHaveLength(other.nodes.length));
    await waitFor(() => expect(node(canvasElement, other.nodes[0]!.id)?.dataset.status).toBe('succeeded'));
    const item = panel.querySelector<HTMLElement>('[data-run-id="run_otherGraph_1"]')!;
    await expect(item.getAttribute('aria-current')).toBe('true');
    await waitFor(() => expect(document.activeElement).toBe(item.querySelector('.lf-history__open')));
    await userEvent.click(within(canvasElement).getByRole('button', { name: 'Undo' }));
    await waitFor(() => expect(canvasElement.querySelectorAll('.lf-node')).toHaveLength(doc.nodes.length));
  },
};

/** The panel open while a run finishes: the new run is listed on top without pressing Refresh. */
export const HistoryNewRun: Story = {
  args: { runs: ['succeeded', 'cached'] },
  play: async ({ canvasElement }) => {
    const panel = await openHistory(canvasElement);
    await waitFor(() => expect(items(panel)).toHaveLength(2));
    await userEvent.click(within(canvasElement).getByRole('button', { name: 'Run' }));
    await waitFor(() => expect(items(panel)).toHaveLength(3));
    await expect(items(panel)[0]?.textContent).toMatch(/just now: succeeded/);
  },
};

/** Reopening the panel shows the list it had without asking the runtime again; a run's end or Refresh asks. */
export const HistoryKeptOnReopen: Story = {
  args: { runs: ['succeeded', 'cached'] },
  play: async ({ canvasElement }) => {
    let panel = await openHistory(canvasElement);
    await waitFor(() => expect(items(panel)).toHaveLength(2));
    await expect(listed).toBe(1);
    await userEvent.keyboard('{Escape}');
    panel = await openHistory(canvasElement);
    await expect(items(panel)).toHaveLength(2);
    await expect(listed).toBe(1);
    // a run that ends while the panel is closed is listed on the next opening
    await userEvent.keyboard('{Escape}');
    await userEvent.click(within(canvasElement).getByRole('button', { name: 'Run' }));
    await waitFor(() =>
      expect(canvasElement.querySelector('[data-testid="run-status"]')?.getAttribute('data-status')).toBe(
        'succeeded',
      ),
    );
    panel = await openHistory(canvasElement);
    await waitFor(() => expect(items(panel)).toHaveLength(3));
    const afterRun = listed;
    await userEvent.keyboard('{Escape}');
    panel = await openHistory(canvasElement);
    await expect(items(panel)).toHaveLength(3);
    await expect(listed).toBe(afterRun);
    await userEvent.click(within(panel).getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(listed).toBe(afterRun + 1));
  },
};

/** Edited while the panel is open: the runs of the graph as it was offer "Open its graph", which brings it back. */
export const HistoryGraphEdited: Story = {
  args: { runs: ['succeeded', 'cached'] },
  play: async ({ canvasElement }) => {
    const panel = await openHistory(canvasElement);
    await waitFor(() => expect(items(panel)).toHaveLength(2));
    await expect(within(panel).queryAllByRole('button', { name: 'Open its graph' })).toHaveLength(0);
    await userEvent.click(node(canvasElement, 'noir')!);
    await userEvent.keyboard('{Delete}');
    await waitFor(() => expect(node(canvasElement, 'noir')).toBeNull());
    await waitFor(() =>
      expect(within(panel).getAllByRole('button', { name: 'Open its graph' })).toHaveLength(2),
    );
    await userEvent.click(within(panel).getAllByRole('button', { name: 'Open its graph' })[1]!);
    await waitFor(() => expect(node(canvasElement, 'noir')).toBeTruthy());
    await waitFor(() => expect(node(canvasElement, 'render')?.dataset.status).toBe('cached'));
    await waitFor(() =>
      expect(within(panel).queryAllByRole('button', { name: 'Open its graph' })).toHaveLength(0),
    );
  },
};
