import { readFile } from 'node:fs/promises';
import type { GraphDocument } from '@loraflow/core';
import { createRegistry } from '@loraflow/core';
import { createRuntime, createRuntimeHandler } from '@loraflow/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineDocument } from '../src/test/graphs';
import { testPack } from '../src/test/test-pack';
import { type Harness, holdsStill, type Page, startHarness } from './harness';

// What a person does, in headless Chromium, on the production build of the editor and its test pack.
let h: Harness;
let serverRuns = 0;
beforeAll(async () => {
  // A runtime on the "host's server", reached by the page through createRemoteRuntime.
  const server = createRuntime({ registry: createRegistry(testPack) });
  const handler = createRuntimeHandler(server);
  h = await startHarness({
    handlers: {
      '/api/loraflow': (request) => {
        if (request.method === 'POST' && new URL(request.url).pathname === '/runs') serverRuns += 1;
        return handler(request);
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const node = (page: Page, id: string) => page.locator(`[data-testid="node-${id}"]`);
const handle = (page: Page, id: string, port: string, kind: 'source' | 'target') =>
  page.locator(`.react-flow__node[data-id="${id}"] .react-flow__handle.${kind}[data-handleid="${port}"]`);

async function drag(page: Page, from: ReturnType<typeof handle>, to: ReturnType<typeof handle>) {
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  if (!a || !b) throw new Error('a handle is not on screen');
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
}

const currentDoc = (page: Page) =>
  page.evaluate(() => (window as unknown as { __doc?: GraphDocument }).__doc);

async function addFromPalette(page: Page, search: string, type: string): Promise<string> {
  const before = (await currentDoc(page))?.nodes.map((n) => n.id) ?? [];
  await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
  await page.keyboard.press('/');
  await page.locator('.lf-palette [cmdk-input]').fill(search);
  await expect.poll(() => page.locator(`.lf-palette [cmdk-item][data-node-type="${type}"]`).count()).toBe(1);
  await page.locator(`.lf-palette [cmdk-item][data-node-type="${type}"]`).click();
  await expect.poll(async () => (await currentDoc(page))?.nodes.length).toBe(before.length + 1);
  const after = (await currentDoc(page))!.nodes;
  return after.find((n) => !before.includes(n.id))!.id;
}

describe('the editor in Chromium', () => {
  it('builds compose → train → generate from the palette, sets scales, runs and shows states and images', async () => {
    const page = await h.open('/editor.html?fixture=empty');
    const a = await addFromPalette(page, 'lora', 'test.lora');
    const b = await addFromPalette(page, 'LoRA', 'test.lora');
    const compose = await addFromPalette(page, 'compose', 'test.compose');
    const train = await addFromPalette(page, 'train', 'test.train');
    const prompt = await addFromPalette(page, 'text', 'test.prompt');
    const generate = await addFromPalette(page, 'gener', 'test.generate');
    // Lay the new nodes out so every handle is on screen, then wire them by dragging.
    await page.getByRole('button', { name: 'Layout' }).click();
    await expect
      .poll(
        async () =>
          new Set((await currentDoc(page))?.nodes.map((n) => `${n.position?.x},${n.position?.y}`)).size,
      )
      .toBe(6);
    await holdsStill(page);
    await drag(page, handle(page, a, 'lora', 'source'), handle(page, compose, 'loras', 'target'));
    await drag(page, handle(page, b, 'lora', 'source'), handle(page, compose, 'loras', 'target'));
    await drag(page, handle(page, prompt, 'text', 'source'), handle(page, train, 'caption', 'target'));
    await drag(page, handle(page, compose, 'lora', 'source'), handle(page, generate, 'lora', 'target'));
    await drag(page, handle(page, prompt, 'text', 'source'), handle(page, generate, 'prompt', 'target'));
    await expect.poll(async () => (await currentDoc(page))?.edges.length).toBe(5);

    // Per-connection scale, next to each LoRA in the composition.
    await node(page, compose).click();
    const scales = page.locator('.lf-inspector .lf-connection input[type="number"]');
    await expect.poll(() => scales.count()).toBe(2);
    await scales.nth(0).fill('0.3');
    await scales.nth(1).fill('0.9');
    await expect
      .poll(async () =>
        (await currentDoc(page))?.edges.filter((e) => e.to.node === compose).map((e) => e.settings?.scale),
      )
      .toEqual([0.3, 0.9]);

    // Training that takes a while, so its states can be watched.
    await node(page, train).click();
    await page.locator('.lf-inspector [data-param="stepMs"] input[type="number"]').fill('150');
    await expect.poll(() => page.getByTestId('estimate').textContent()).toContain('6 nodes to run');
    expect(await node(page, generate).locator('.lf-badge--explain').textContent()).toBe('will run');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => node(page, train).getAttribute('data-status')).toBe('running');
    await expect
      .poll(() => node(page, train).locator('.lf-node__progress-text').textContent())
      .toMatch(/in queue|left/);
    await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status')).toBe('succeeded');
    for (const id of [a, b, compose, train, prompt, generate]) {
      expect(await node(page, id).getAttribute('data-status')).toBe('succeeded');
    }
    await expect.poll(() => node(page, generate).locator('img.lf-thumb').count()).toBe(2);
    const naturalWidth = await node(page, generate)
      .locator('img.lf-thumb')
      .first()
      .evaluate((img) => (img as HTMLImageElement).naturalWidth);
    expect(naturalWidth).toBeGreaterThan(0);

    // A second run finds everything in the cache.
    await expect.poll(() => page.getByTestId('estimate').textContent()).toContain('0 nodes to run');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => node(page, generate).getAttribute('data-status')).toBe('cached');
    await page.close();
  });

  it('undoes and redoes edits from the keyboard, a drag as one step', async () => {
    const page = await h.open('/editor.html?fixture=pipeline');
    const box = await node(page, 'prompt').boundingBox();
    if (!box) throw new Error('the prompt node is not on screen');
    await page.mouse.move(box.x + 30, box.y + 10);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + 30 + i * 12, box.y + 10 + i * 4);
    await page.mouse.up();
    const moved = (await currentDoc(page))!.nodes.find((n) => n.id === 'prompt')!.position!;
    expect(moved.x).toBeGreaterThan(320 + 50);
    await page.locator('.lf-inspector textarea[name="text"]').fill('a storm over the sea');
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press('Control+z');
    await expect
      .poll(async () => (await currentDoc(page))?.nodes.find((n) => n.id === 'prompt')?.params?.text)
      .toBe('a lighthouse at dusk');
    await page.keyboard.press('Control+z');
    await expect
      .poll(async () => (await currentDoc(page))?.nodes.find((n) => n.id === 'prompt')?.position)
      .toEqual({ x: 320, y: 320 });
    await page.keyboard.press('Control+Shift+z');
    await expect
      .poll(async () => (await currentDoc(page))?.nodes.find((n) => n.id === 'prompt')?.position)
      .toEqual(moved);
    await page.close();
  });

  it('moves a dragged node on every pointer move, tells the host once at the drop, and re-renders no node', async () => {
    const page = await h.open('/editor.html?fixture=pipeline');
    await node(page, 'prompt').click({ position: { x: 30, y: 10 } });
    await expect.poll(() => node(page, 'prompt').getAttribute('data-selected')).toBe('true');
    // every document the host is told of, counted from here on
    await page.evaluate(() => {
      const w = window as unknown as { __doc?: unknown; __told: number; __renders: Record<string, number> };
      let doc = w.__doc;
      w.__told = 0;
      w.__renders = {};
      Object.defineProperty(w, '__doc', {
        get: () => doc,
        set: (d) => {
          doc = d;
          w.__told += 1;
        },
      });
    });
    const told = () => page.evaluate(() => (window as unknown as { __told: number }).__told);
    const box = (await node(page, 'prompt').boundingBox())!;
    await page.mouse.move(box.x + 30, box.y + 10);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + 30 + i * 12, box.y + 10 + i * 4);
    const during = (await node(page, 'prompt').boundingBox())!;
    expect(during.x).toBeGreaterThan(box.x + 60);
    expect(await told()).toBe(0);
    await page.mouse.up();
    expect(await told()).toBe(1);
    expect((await currentDoc(page))!.nodes.find((n) => n.id === 'prompt')!.position!.x).toBeGreaterThan(
      320 + 50,
    );
    const renders = await page.evaluate(
      () => (window as unknown as { __renders: Record<string, number> }).__renders,
    );
    expect(renders).toEqual({});
    await page.close();
  });

  it('refuses a wrong-family connection with the reason validation gives', async () => {
    const page = await h.open('/editor.html?fixture=pipeline');
    await node(page, 'style').click();
    await page.locator('.lf-inspector select[name="family"]').selectOption('flux.2-dev');
    // The existing edge into the flux.1 composition is now invalid and says so on the edge and the node.
    await expect.poll(() => page.locator('.lf-edge--invalid').count()).toBeGreaterThan(0);
    await drag(page, handle(page, 'style', 'lora', 'source'), handle(page, 'generate', 'lora', 'target'));
    const notice = page.locator('.lf-notice[data-kind="refusal"]');
    await expect
      .poll(() => notice.textContent())
      .toContain('A flux.2-dev LoRA output cannot connect to a flux.1 LoRA input');
    expect(await notice.getAttribute('data-code')).toBe('type.incompatible');
    const doc = (await currentDoc(page))!;
    expect(
      doc.edges.filter((e) => e.to.node === 'generate' && e.to.port === 'lora').map((e) => e.from.node),
    ).toEqual(['blend']);
    // the same sentence where the wire was dropped, gone once the LoRA is of the right family again
    const atDrop = page.getByTestId('refusal-at-drop');
    expect(await atDrop.textContent()).toContain('cannot connect to a flux.1 LoRA input');
    await page.locator('.lf-inspector select[name="family"]').selectOption('flux.1');
    await expect.poll(() => atDrop.count()).toBe(0);
    await page.close();
  });

  it('wires compose → generate by keyboard only, and Ctrl+Z after Delete brings a node back', async () => {
    const page = await h.open('/editor.html?fixture=empty');
    const focused = (selector: string) =>
      page.evaluate((s) => document.activeElement?.matches(s) === true, selector);
    // Tab until the element matching `selector` has the focus (a person would see where it is)
    const tabTo = async (selector: string) => {
      for (let i = 0; i < 80 && !(await focused(selector)); i++) await page.keyboard.press('Tab');
      expect(await focused(selector)).toBe(true);
    };
    await page.keyboard.press('Tab');
    for (const [search, type] of [
      ['compose', 'test.compose'],
      ['generate images', 'test.generate'],
    ] as const) {
      await page.keyboard.press('/');
      await page.keyboard.type(search);
      await expect.poll(() => page.locator(`[cmdk-item][data-node-type="${type}"]`).count()).toBe(1);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator('.lf-palette').count()).toBe(0);
    }
    await expect
      .poll(async () => (await currentDoc(page))?.nodes.map((n) => n.id))
      .toEqual(['compose-1', 'generate-1']);
    await tabTo('.react-flow__node[data-id="compose-1"] .react-flow__handle.source[data-handleid="lora"]');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => handle(page, 'generate-1', 'lora', 'target').getAttribute('data-compat'))
      .toBe('valid');
    await tabTo('.react-flow__node[data-id="generate-1"] .react-flow__handle.target[data-handleid="lora"]');
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => (await currentDoc(page))?.edges.map((e) => [e.from.node, e.to.node, e.to.port]))
      .toEqual([['compose-1', 'generate-1', 'lora']]);
    expect(await page.locator('[data-compat]').count()).toBe(0);

    await tabTo('.react-flow__node[data-id="generate-1"]');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Delete');
    await expect.poll(async () => (await currentDoc(page))?.nodes.length).toBe(1);
    expect(await page.evaluate(() => document.activeElement === document.body)).toBe(false);
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await currentDoc(page))?.edges.length).toBe(1);
    await page.close();
  });

  it('highlights the ports a dragged wire may end on and dims the nodes it cannot reach, until it is dropped', async () => {
    const page = await h.open('/editor.html?fixture=pipeline');
    const from = await handle(page, 'subject', 'lora', 'source').boundingBox();
    if (!from) throw new Error('the handle is not on screen');
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + 60, from.y + 40, { steps: 4 });
    const compat = (l: ReturnType<typeof handle>) => l.getAttribute('data-compat');
    await expect.poll(() => compat(handle(page, 'blend', 'loras', 'target'))).toBe('valid');
    expect(await compat(handle(page, 'generate', 'lora', 'target'))).toBe('valid');
    expect(await compat(handle(page, 'generate', 'prompt', 'target'))).toBe('invalid');
    expect(await page.locator('.react-flow__node[data-id="prompt"]').getAttribute('data-compat')).toBe(
      'none',
    );
    await page.mouse.move(from.x + 200, from.y + 400, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-compat]').count()).toBe(0);
    await page.close();
  });

  it('exports the graph as a file and imports it back, and re-renders only the node whose param changed', async () => {
    const page = await h.open('/editor.html?fixture=pipeline');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export' }).click(),
    ]);
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8')) as GraphDocument;
    expect(exported).toEqual(pipelineDocument);

    await page.evaluate(() => {
      (window as unknown as { __renders: Record<string, number> }).__renders = {};
    });
    await node(page, 'generate').click();
    await page.evaluate(() => {
      (window as unknown as { __renders: Record<string, number> }).__renders = {};
    });
    await page.locator('.lf-inspector [data-param="samples"] input[type="number"]').fill('3');
    await expect
      .poll(async () => (await currentDoc(page))?.nodes.find((n) => n.id === 'generate')?.params?.samples)
      .toBe(3);
    const renders = await page.evaluate(
      () => (window as unknown as { __renders: Record<string, number> }).__renders,
    );
    expect(Object.keys(renders)).toEqual(['generate']);

    const changed = {
      ...exported,
      name: 'imported',
      nodes: exported.nodes.filter((n) => n.id !== 'prompt'),
      edges: exported.edges.filter((e) => e.from.node !== 'prompt'),
    };
    await page.getByTestId('import-input').setInputFiles({
      name: 'g.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(changed)),
    });
    await expect.poll(async () => (await currentDoc(page))?.name).toBe('imported');
    await expect.poll(() => page.locator('.lf-node').count()).toBe(4);
    // Importing is one undoable step.
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await currentDoc(page))?.nodes.length).toBe(5);

    await page.getByTestId('import-input').setInputFiles({
      name: 'bad.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"format":"loraflow.graph","version":9,"nodes":[],"edges":[]}'),
    });
    await expect
      .poll(() => page.locator('.lf-notice[data-kind="error"]').textContent())
      .toContain('newer than this loraflow understands');
    await page.close();
  });

  it('renders an XSS payload in a label and a prompt as text, never as HTML', async () => {
    const page = await h.open('/editor.html?fixture=empty');
    const payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
    const doc: GraphDocument = {
      ...pipelineDocument,
      nodes: pipelineDocument.nodes.map((n) =>
        n.id === 'prompt' ? { ...n, label: payload, params: { text: payload } } : n,
      ),
    };
    await page.getByTestId('import-input').setInputFiles({
      name: 'x.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(doc)),
    });
    await expect.poll(() => node(page, 'prompt').locator('.lf-node__title').textContent()).toBe(payload);
    await node(page, 'prompt').click();
    expect(await page.locator('.lf-inspector textarea[name="text"]').inputValue()).toBe(payload);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status')).toBe('succeeded');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('.lf-root img[src="x"], .lf-root script').count()).toBe(0);
    await page.close();
  });

  it('runs on a runtime on the server through the remote client, with the same component', async () => {
    const page = await h.open('/editor.html?fixture=pipeline&runtime=remote');
    await expect.poll(() => page.getByTestId('estimate').textContent()).toContain('5 nodes to run');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status')).toBe('succeeded');
    expect(serverRuns).toBe(1);
    for (const id of ['style', 'subject', 'blend', 'prompt', 'generate']) {
      expect(await node(page, id).getAttribute('data-status')).toBe('succeeded');
    }
    // Image previews come from the server's store through runtime.getBlob.
    await expect.poll(() => node(page, 'generate').locator('img.lf-thumb').count()).toBe(2);
    await page.close();
  });
});
