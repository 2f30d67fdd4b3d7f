import { type GraphDocument, loadDocument } from '@loraflow/core';
import { FAIL_TRAINING_MARKER } from '@loraflow/emulator';
import composeTrainGenerate from '../../examples/compose-train-generate.json';
import modelslabMultiLora from '../../examples/modelslab-multi-lora.json';
import trainFromImages from '../../examples/train-from-images.json';

function load(value: unknown, name: string): GraphDocument {
  const r = loadDocument(value);
  if (!r.ok) throw new Error(`The example ${name} is not a valid graph: ${r.issues[0]?.message}`);
  return r.value;
}

/** The example graphs the README, the CLI tests and these stories share. */
export const examples = {
  composeTrainGenerate: load(composeTrainGenerate, 'compose-train-generate'),
  modelslabMultiLora: load(modelslabMultiLora, 'modelslab-multi-lora'),
  trainFromImages: load(trainFromImages, 'train-from-images'),
};

/** compose-train-generate with a training the emulator fails on cue. */
export const failingTraining: GraphDocument = {
  ...examples.composeTrainGenerate,
  name: 'training fails on cue',
  nodes: examples.composeTrainGenerate.nodes.map((n) =>
    n.type === 'lora.train'
      ? { ...n, params: { ...n.params, name: `paper lantern ${FAIL_TRAINING_MARKER}` } }
      : n,
  ),
};

/** compose-train-generate with a parameter out of range and a missing connection: what validation shows. */
export const invalidGraph: GraphDocument = {
  ...examples.composeTrainGenerate,
  name: 'invalid',
  nodes: examples.composeTrainGenerate.nodes.map((n) =>
    n.type === 'generate.multiLora' ? { ...n, params: { ...n.params, samples: 9, width: 4096 } } : n,
  ),
  edges: examples.composeTrainGenerate.edges.slice(1),
};

/**
 * Every node type of the LoRA pack in one valid graph: compose-train-generate plus a preview, a
 * save, and a ModelsLab training whose LoRA restyles the render image to image. A test holds it
 * complete (stories/test/fixtures.test.ts): a node type added to the pack must appear here.
 */
export const everyNodeType: GraphDocument = {
  ...examples.composeTrainGenerate,
  name: 'every node type',
  nodes: [
    ...examples.composeTrainGenerate.nodes,
    { id: 'preview', type: 'image.preview', position: { x: 1500, y: 40 } },
    { id: 'save', type: 'image.save', position: { x: 1500, y: 320 } },
    {
      id: 'trainModelsLab',
      type: 'lora.trainModelsLab',
      params: {
        family: 'sd-1_5',
        instancePrompt: 'photo of lnt0 lantern',
        classPrompt: 'photo of a lantern',
      },
      position: { x: 280, y: 720 },
    },
    { id: 'waitModelsLab', type: 'lora.wait', position: { x: 540, y: 720 } },
    {
      id: 'restyle',
      type: 'generate.imageToImage',
      params: { prompt: 'the same scene as an lnt0 lantern poster', strength: 0.5, seed: 7 },
      position: { x: 1500, y: 600 },
    },
  ],
  edges: [
    ...examples.composeTrainGenerate.edges,
    { id: 'to-preview', from: { node: 'render', port: 'images' }, to: { node: 'preview', port: 'images' } },
    { id: 'to-save', from: { node: 'render', port: 'images' }, to: { node: 'save', port: 'images' } },
    {
      id: 'to-train-modelslab',
      from: { node: 'photos', port: 'set' },
      to: { node: 'trainModelsLab', port: 'set' },
    },
    {
      id: 'to-wait-modelslab',
      from: { node: 'trainModelsLab', port: 'training' },
      to: { node: 'waitModelsLab', port: 'training' },
    },
    { id: 'to-restyle', from: { node: 'render', port: 'images' }, to: { node: 'restyle', port: 'image' } },
    {
      id: 'restyle-lora',
      from: { node: 'waitModelsLab', port: 'lora' },
      to: { node: 'restyle', port: 'loras' },
      settings: { strength: 0.8 },
    },
  ],
};

/** `pairs` LoRA sources each feeding its own composition: 2 × pairs nodes, for the big-graph story. */
export function bigGraph(pairs: number): GraphDocument {
  const cols = Math.ceil(Math.sqrt(pairs));
  const nodes: GraphDocument['nodes'] = [];
  const edges: GraphDocument['edges'] = [];
  for (let i = 0; i < pairs; i++) {
    const x = (i % cols) * 620;
    const y = Math.floor(i / cols) * 180;
    nodes.push({
      id: `s${i}`,
      type: 'lora.source',
      params: { provider: 'scenario', modelId: `model_${i}`, modelType: 'flux.1-lora' },
      position: { x, y },
    });
    nodes.push({
      id: `c${i}`,
      type: 'lora.compose',
      params: { name: `blend ${i}` },
      position: { x: x + 300, y },
    });
    edges.push({
      id: `e${i}`,
      from: { node: `s${i}`, port: 'lora' },
      to: { node: `c${i}`, port: 'loras' },
      settings: { scale: 0.7 },
    });
  }
  return { format: 'loraflow.graph', version: 1, name: `${pairs * 2} nodes`, nodes, edges };
}

/** compose-train-generate without the composition's wire to the generation: what the wiring stories complete. */
export const looseCompose: GraphDocument = {
  ...examples.composeTrainGenerate,
  name: 'loose composition',
  edges: examples.composeTrainGenerate.edges.filter(
    (e) => !(e.from.node === 'style' && e.to.node === 'render'),
  ),
};
