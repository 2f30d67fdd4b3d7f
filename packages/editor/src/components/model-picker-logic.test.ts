import { readFileSync } from 'node:fs';
import { type GraphDocument, loadDocument } from '@loraflow/core';
import { loraPack } from '@loraflow/nodes';
import type { ModelSummary } from '@loraflow/runtime/contract';
import { describe, expect, it } from 'vitest';
import { createCatalogue } from '../catalogue';
import { downstreamFamily, mergeModelPages, modelChoiceOf, paramsForModel } from './model-picker-logic';
import { schemaOf } from './widgets';

const catalogue = createCatalogue([loraPack]);
const loaded = loadDocument(
  JSON.parse(
    readFileSync(new URL('../../../../examples/compose-train-generate.json', import.meta.url), 'utf8'),
  ),
);
if (!loaded.ok) throw new Error('the example graph does not load');
const example: GraphDocument = loaded.value;
const nodeOf = (doc: GraphDocument, id: string) => doc.nodes.find((n) => n.id === id)!;
const sourceSchema = schemaOf(catalogue.definition('lora.source')?.params);

const model = (over: Partial<ModelSummary>): ModelSummary => ({
  id: 'model_ink',
  name: 'Ink',
  provider: 'scenario',
  kind: 'lora',
  ...over,
});

describe('the model picker on a graph', () => {
  it('offers LoRAs on a LoRA source and nothing on a node without a model id', () => {
    expect(modelChoiceOf(catalogue, nodeOf(example, 'watercolor'), example)).toEqual({ kind: 'lora' });
    expect(modelChoiceOf(catalogue, nodeOf(example, 'prompt'), example)).toBeUndefined();
    expect(modelChoiceOf(catalogue, nodeOf(example, 'style'), example)).toBeUndefined();
  });

  it('filters to the family of the other LoRAs of the composition a source feeds', () => {
    expect(downstreamFamily(catalogue, example, 'watercolor')).toBe('flux.1');
    const alone: GraphDocument = { ...example, edges: [] };
    expect(downstreamFamily(catalogue, alone, 'watercolor')).toBeUndefined();
  });

  it('sets a Scenario LoRA by id with its model type, and a ModelsLab one with its family only when the schema takes it', () => {
    expect(paramsForModel(sourceSchema, model({ modelType: 'flux.1-lora', family: 'flux.1' }))).toEqual({
      modelId: 'model_ink',
      provider: 'scenario',
      mode: 'id',
      modelType: 'flux.1-lora',
      family: 'flux.1',
    });
    expect(
      paramsForModel(sourceSchema, model({ provider: 'modelslab', id: 'mine', family: 'zimage' })),
    ).toEqual({
      modelId: 'mine',
      provider: 'modelslab',
      mode: 'id',
    });
    // a provider the node does not know is not written into it
    expect(paramsForModel(sourceSchema, model({ provider: 'house' }))).toEqual({
      modelId: 'model_ink',
      mode: 'id',
    });
  });
});

describe('pages of models', () => {
  const model = (id: string, provider = 'scenario'): ModelSummary => ({
    id,
    name: id,
    provider,
    kind: 'lora',
  });
  it('list each model once when a later page repeats one (same provider and id), keeping the first place', () => {
    const merged = mergeModelPages(
      [model('ink'), model('noir')],
      [model('noir'), model('paper'), model('paper')],
    );
    expect(merged.map((m) => m.id)).toEqual(['ink', 'noir', 'paper']);
  });
  it('keep two models of one id from different providers', () => {
    const merged = mergeModelPages([model('ink')], [model('ink', 'modelslab')]);
    expect(merged.map((m) => `${m.provider}:${m.id}`)).toEqual(['scenario:ink', 'modelslab:ink']);
  });
});
