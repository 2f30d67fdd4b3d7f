import {
  type ConnectionOptions,
  checkConnection,
  type PortRef,
  resolveGraph,
  validateGraph,
} from '@loraflow/core';
import { describe, expect, it } from 'vitest';
import { createCatalogue } from './catalogue';
import { pipelineDocument } from './test/graphs';
import { testPack } from './test/test-pack';

describe('catalogue', () => {
  it('resolves output types from the document, even when asked with a stale copy of the node', () => {
    const cat = createCatalogue([testPack]);
    const stale = pipelineDocument.nodes[0]!;
    const doc = structuredClone(pipelineDocument);
    doc.nodes[0]!.params = { ...doc.nodes[0]!.params, family: 'flux.2-dev' };
    expect(cat.outputs(stale, doc)[0]?.typeLabel).toBe('flux.2-dev LoRA');
    expect(cat.outputs(doc.nodes[0]!, doc)[0]?.typeLabel).toBe('flux.2-dev LoRA');
  });

  it('derives a composition output type from its params and refuses a family mismatch with both types named', () => {
    const cat = createCatalogue([testPack]);
    const doc = structuredClone(pipelineDocument);
    doc.nodes[2]!.params = { name: 'blend', family: 'sdxl' };
    expect(cat.outputs(doc.nodes[2]!, doc)[0]?.typeLabel).toBe('sdxl LoRA');
    // validation's issue for the same edge, in place of the connection the single input has
    const withEdge = {
      ...doc,
      edges: [
        ...doc.edges.filter((e) => e.to.node !== 'generate' || e.to.port !== 'lora'),
        { id: 'new', from: { node: 'blend', port: 'lora' }, to: { node: 'generate', port: 'lora' } },
      ],
    };
    const [issue] = validateGraph(withEdge, cat.registry).issues.filter((i) => i.edgeId === 'new');
    expect(issue?.message).toBe(
      'Edge "new" (blend.lora → generate.lora): A sdxl LoRA output cannot connect to a flux.1 LoRA input: a sdxl LoRA cannot feed a flux.1 model.',
    );
    expect(cat.refuse(doc, { node: 'blend', port: 'lora' }, { node: 'generate', port: 'lora' })).toEqual({
      code: 'type.incompatible',
      reason: issue?.message,
      issues: [issue],
    });
    expect(
      cat.refuse(doc, { node: 'prompt', port: 'text' }, { node: 'generate', port: 'prompt' }),
    ).toBeUndefined();
  });

  it("shows core's resolved port types and checks connections on one analysis per document", () => {
    const cat = createCatalogue([testPack]);
    const doc = structuredClone(pipelineDocument);
    const graph = cat.resolve(doc);
    expect(cat.resolve(doc)).toBe(graph);
    expect(graph).not.toBe(resolveGraph(doc, cat.registry));
    for (const node of doc.nodes) {
      expect(Object.fromEntries(cat.outputs(node, doc).map((p) => [p.name, p.type]))).toEqual(
        graph.outputTypes(node.id),
      );
      expect(Object.fromEntries(cat.inputs(node, doc).map((p) => [p.name, p.type]))).toEqual(
        graph.inputTypes(node.id),
      );
    }
    // the edge the editor would add: the input's default settings, a single input's connection replaced
    const cases: Array<[PortRef, PortRef, ConnectionOptions]> = [
      [{ node: 'subject', port: 'lora' }, { node: 'generate', port: 'lora' }, { replace: true }],
      [{ node: 'prompt', port: 'text' }, { node: 'blend', port: 'loras' }, { settings: { scale: 0.8 } }],
    ];
    for (const [from, to, options] of cases)
      expect(cat.check(doc, from, to)).toEqual(checkConnection(doc, cat.registry, from, to, options));
  });

  it('refuses two packs that define the same node type', () => {
    expect(() =>
      createCatalogue([
        testPack,
        { ...testPack, name: 'copy', nodes: [...testPack.nodes].map((n) => ({ ...n })) },
      ]),
    ).toThrow(/already registered/);
  });
});
