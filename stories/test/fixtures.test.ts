import { createEngine, createRegistry } from '@loraflow/core';
import { loraPack } from '@loraflow/nodes';
import { loraPackDefinitions } from '@loraflow/nodes/definitions';
import { describe, expect, it } from 'vitest';
import { everyNodeType } from '../src/fixtures';

// The "every node" stories show what the editor draws for each node type: one missing is one never looked at.
describe("the stories' every-node fixture", () => {
  it('holds every node type the LoRA pack registers, runnable or definitions-only', () => {
    const shown = new Set(everyNodeType.nodes.map((n) => n.type));
    const registered = [...loraPack.nodes, ...loraPackDefinitions.nodes].map((d) => d.type);
    expect([...new Set(registered)].filter((type) => !shown.has(type))).toEqual([]);
  });

  it('is a graph the engine finds valid, so the stories show nodes, not problems', () => {
    const engine = createEngine({ registry: createRegistry(loraPack) });
    expect(engine.validate(everyNodeType)).toEqual({ ok: true, issues: [] });
  });
});
