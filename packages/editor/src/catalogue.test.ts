import { describe, expect, it } from 'vitest';
import { pipelineDocument } from '../fixtures/graphs';
import { testPack } from '../fixtures/test-pack';
import { createCatalogue } from './catalogue';

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
    expect(cat.refuse(doc, { node: 'blend', port: 'lora' }, { node: 'generate', port: 'lora' })?.reason).toBe(
      'A sdxl LoRA output cannot connect to a flux.1 LoRA input: a sdxl LoRA cannot feed a flux.1 model.',
    );
    expect(
      cat.refuse(doc, { node: 'prompt', port: 'text' }, { node: 'generate', port: 'prompt' }),
    ).toBeUndefined();
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
