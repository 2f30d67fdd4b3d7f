// Small things several engine modules share.

/** The message of whatever a node or a definition threw. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'the node failed without an error message';
}

// Every JavaScript host has timers, though ES2022 does not declare them; the core's lib is ES2022 only.
export const timers = globalThis as unknown as {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
};

/** `Omit` applied to each member of a union (a plain `Omit` would merge the members). */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
