import { createRegistry } from '@loraflow/core';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../runtime';
import { createFakeService, testPack } from '../test/pack';
import { listen } from '../test/serve';
import { createRuntimeHandler } from './handler';

/** A graph whose training node's params hold `value`, as JSON text (built as text: 10,000 levels are not stringified). */
function trainingGraphText(value: string): string {
  return `{"format":"loraflow.graph","version":1,"nodes":[{"id":"name","type":"test.text","params":{"text":"cat"}},{"id":"train","type":"test.train","params":{"extra":${value}}}],"edges":[{"id":"e0","from":{"node":"name","port":"text"},"to":{"node":"train","port":"name"}}]}`;
}

async function setup() {
  const service = createFakeService();
  const runtime = createRuntime({ registry: createRegistry(testPack), services: { fake: service } });
  const { url } = await listen(createRuntimeHandler(runtime));
  const post = (path: string, graphText: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"graph":${graphText}}`,
    });
  return { service, runtime, post };
}

type Answer = {
  error?: { code: string; issues?: Array<{ code: string; path: (string | number)[] }> };
  ok?: boolean;
  issues?: Array<{ code: string; path: (string | number)[] }>;
};

describe('every HTTP route refuses a document too deep or not finite, before any work', () => {
  it('answers 10,000 levels of params with document.too-deep and its path on /validate, /runs, /explain and /estimate', async () => {
    const { service, runtime, post } = await setup();
    const deep = trainingGraphText(`${'{"k":'.repeat(10_000)}1${'}'.repeat(10_000)}`);
    for (const route of ['/runs', '/explain', '/estimate']) {
      const response = await post(route, deep);
      const body = (await response.json()) as Answer;
      expect(response.status, route).toBe(422);
      expect(body.error?.code).toBe('graph.invalid');
      expect(body.error?.issues?.[0]?.code).toBe('document.too-deep');
      expect(body.error?.issues?.[0]?.path.slice(0, 5)).toEqual(['nodes', 1, 'params', 'extra', 'k']);
    }
    const validated = (await (await post('/validate', deep)).json()) as Answer;
    expect(validated.ok).toBe(false);
    expect(validated.issues?.[0]?.code).toBe('document.too-deep');
    // Nothing was created, trained or recorded: no ghost run.
    expect(service.calls).toEqual({ create: 0, train: 0, cancel: 0, find: 0 });
    expect(await runtime.listRuns()).toEqual([]);
  });

  it('refuses a number too large to be finite (1e999 parses as Infinity) with document.not-finite', async () => {
    const { service, post } = await setup();
    const response = await post('/runs', trainingGraphText('1e999'));
    expect(response.status).toBe(422);
    const body = (await response.json()) as Answer;
    expect(body.error?.issues?.[0]).toMatchObject({
      code: 'document.not-finite',
      path: ['nodes', 1, 'params', 'extra'],
    });
    expect(service.calls.create).toBe(0);
  });
});
