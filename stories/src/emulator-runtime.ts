import { IN_PAGE_ORIGIN, wireInPageRuntime } from '@loraflow/browser';
import { createEmulator, type Emulator } from '@loraflow/emulator';
import { createMemoryStore, type Runtime } from '@loraflow/runtime';

/**
 * The whole stack in the page, as `@loraflow/browser` wires it: the emulator answers for the providers, the real
 * LoRA pack runs on the real runtime with a memory store (a story starts from nothing each time). `speed` makes
 * emulated minutes pass fast.
 */
export function createEmulatorRuntime(o: { speed?: number } = {}): { runtime: Runtime; emulator: Emulator } {
  const speed = o.speed ?? 600;
  const emulator = createEmulator({ clock: { speed }, publicUrl: IN_PAGE_ORIGIN, seed: 7 });
  const runtime = wireInPageRuntime(emulator, {
    store: createMemoryStore(),
    speed,
    filesBaseUrl: '/examples/',
  });
  return { runtime, emulator };
}
