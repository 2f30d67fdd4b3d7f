import { describe, expect, it } from 'vitest';
import { canConnect, createTypeRegistry, defineType, t } from './types';

const lora = defineType({
  kind: 'lora',
  label: (type) => `LoRA (${String(type.params?.family)})`,
  accepts: (to, from) =>
    from.kind !== 'lora'
      ? 'only a LoRA fits here'
      : from.params?.family === to.params?.family ||
        `${String(from.params?.family)} is not ${String(to.params?.family)}`,
});
const types = createTypeRegistry([lora]);

describe('canConnect', () => {
  it('connects equal types', () => {
    expect(canConnect(t.number(), t.number(), types)).toEqual({ ok: true });
  });

  it('names both types when they differ', () => {
    expect(canConnect(t.number(), t.string(), types)).toEqual({
      ok: false,
      code: 'type.mismatch',
      reason: 'A Number output cannot connect to a Text input.',
    });
  });

  it('lets a parameterised type decide with its own reason', () => {
    const flux2 = { kind: 'lora', params: { family: 'flux.2' } };
    const flux1 = { kind: 'lora', params: { family: 'flux.1' } };
    expect(canConnect(flux1, flux1, types)).toEqual({ ok: true });
    expect(canConnect(flux2, flux1, types)).toEqual({
      ok: false,
      code: 'type.incompatible',
      reason: 'A LoRA (flux.2) output cannot connect to a LoRA (flux.1) input: flux.2 is not flux.1.',
    });
  });

  it('checks list items with the same rules', () => {
    expect(canConnect(t.list(t.number()), t.list(t.number()), types)).toEqual({ ok: true });
    const r = canConnect(t.list(t.number()), t.list(t.string()), types);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain('List of Number');
    expect(canConnect(t.number(), t.list(t.number()), types).ok).toBe(false);
  });

  it('treats any as a wildcard on either side', () => {
    expect(canConnect(t.number(), t.any(), types)).toEqual({ ok: true });
    expect(canConnect(t.any(), t.string(), types)).toEqual({ ok: true });
  });

  it('reports an unregistered kind', () => {
    expect(canConnect({ kind: 'nope' }, t.number(), types)).toMatchObject({
      ok: false,
      code: 'type.unknown',
    });
  });

  it('compares type params regardless of key order', () => {
    const a = { kind: 'json', params: { x: 1, y: 2 } };
    const b = { kind: 'json', params: { y: 2, x: 1 } };
    expect(canConnect(a, b, types)).toEqual({ ok: true });
  });

  it('refuses to register a kind twice', () => {
    expect(() => createTypeRegistry([lora, { ...lora }])).toThrow(/registered twice/);
  });
});
