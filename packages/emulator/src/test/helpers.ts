import { readFileSync } from 'node:fs';
import { decode, encode } from 'fast-png';
import { createEmulator, EMULATOR_CREDENTIALS, type Emulator, type EmulatorOptions } from '../emulator';

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

/** The v3 training stages as the vendor's spec enumerates them (`TrainingResponse.messege`). */
export function specTrainingStages(): string[] {
  const spec = JSON.parse(
    readFileSync(
      new URL('../../reference/specs/modelslab-train-model-openapi.json', import.meta.url),
      'utf8',
    ),
  );
  return spec.components.schemas.TrainingResponse.properties.messege.enum;
}

/** A solid-colour RGB PNG. */
export function solidPng(colour: [number, number, number], width = 48, height = 32): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(colour, i * 3);
  return encode({ width, height, channels: 3, depth: 8, data });
}

/** Bytes as a base64 data URL. */
export function dataUrl(bytes: Uint8Array, mime = 'image/png'): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return `data:${mime};base64,${btoa(text)}`;
}

/** The size and mean RGB of a downloaded picture (palette or RGB PNG). */
export async function pictureOf(
  emulator: Emulator,
  url: string,
): Promise<{ width: number; height: number; mean: number[] }> {
  const res = await emulator.fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  const png = decode(new Uint8Array(await res.arrayBuffer()));
  const sum = [0, 0, 0];
  const pixels = png.width * png.height;
  for (let p = 0; p < pixels; p++) {
    const colour = png.palette
      ? (png.palette[png.data[p] as number] as number[])
      : [0, 1, 2].map((k) => png.data[p * png.channels + k] as number);
    for (let k = 0; k < 3; k++) sum[k] = (sum[k] as number) + (colour[k] as number);
  }
  return { width: png.width, height: png.height, mean: sum.map((v) => v / pixels) };
}
