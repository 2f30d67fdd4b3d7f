import type { LoraModelItem, LoraModelQuery, LoraModelSource } from '@loraflow/nodes';
import type { ModelSource, ModelSourceItem } from '@loraflow/runtime';
import { describe, expectTypeOf, it } from 'vitest';

// nodes may not import the runtime, so it spells the runtime's ModelSource out again; this package sees both.

// the runtime's item is an intersection (Omit<ModelSummary, ...> & {...}): compared field for field once flattened
type Flat<T> = { [K in keyof T]: T[K] };

describe("the node pack's model source and the runtime's", () => {
  it('are the same shapes field for field, so neither side gains a field the other drops or never fills', () => {
    expectTypeOf<Flat<LoraModelItem>>().toEqualTypeOf<Flat<ModelSourceItem>>();
    expectTypeOf<LoraModelQuery>().toEqualTypeOf<Parameters<ModelSource['list']>[0]>();
    expectTypeOf<LoraModelSource>().toExtend<ModelSource>();
  });
});
