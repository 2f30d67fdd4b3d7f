import { createEmulator, EMULATOR_CREDENTIALS, type Emulator, type EmulatorOptions } from './emulator';

/** Test-only helpers: a manual-clock emulator and small request builders. Not exported from the package. */
export const ORIGIN = 'http://emulator.invalid';
export const SCENARIO_AUTH = `Basic ${btoa(`${EMULATOR_CREDENTIALS.scenario.key}:${EMULATOR_CREDENTIALS.scenario.secret}`)}`;
export const ML_KEY = EMULATOR_CREDENTIALS.modelslab.key;

export function manualEmulator(options: EmulatorOptions = {}): Emulator {
  return createEmulator({ clock: 'manual', ...options });
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

// biome-ignore lint/suspicious/noExplicitAny: test bodies are read loosely
type AnyJson = Record<string, any>;

export async function scenario(
  emulator: Emulator,
  method: string,
  path: string,
  body?: unknown,
  auth = SCENARIO_AUTH,
): Promise<Reply<AnyJson>> {
  const init: RequestInit = { method, headers: { authorization: auth, 'content-type': 'application/json' } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await emulator.fetch(`${ORIGIN}/scenario/v1${path}`, init);
  return { status: res.status, body: (await res.json()) as AnyJson, headers: res.headers };
}

export async function modelslab(emulator: Emulator, path: string, body: unknown): Promise<Reply<AnyJson>> {
  const res = await emulator.fetch(`${ORIGIN}/modelslab/api${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as AnyJson, headers: res.headers };
}

export async function control(
  emulator: Emulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply<AnyJson>> {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await emulator.fetch(`${ORIGIN}/_emulator${path}`, init);
  return { status: res.status, body: (await res.json()) as AnyJson, headers: res.headers };
}

/** A tiny valid PNG as a data URL, for training-image uploads. */
export const PNG_DATA_URL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** Creates a LoRA model with `images` uploaded training images; returns its id. */
export async function loraWithImages(emulator: Emulator, type = 'flux.1-lora', images = 3, name = 'mine') {
  const created = await scenario(emulator, 'POST', '/models', { name, type });
  const id = created.body.model.id as string;
  for (let i = 0; i < images; i++) {
    await scenario(emulator, 'POST', `/models/${id}/training-images`, {
      name: `i${i}.png`,
      data: PNG_DATA_URL,
    });
  }
  return id;
}
