import { type RecordedRequest, type RequestSink, recordSchema } from '@loraflow/emulator';
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';

interface EmulatorDB extends DBSchema {
  requests: { key: number; value: RecordedRequest };
}

/**
 * The in-page emulator's state in IndexedDB: its state-changing requests (no credential: the
 * recording blanks them), replayed on the next page load so models trained before a reload exist.
 */
export interface EmulatorStateStore extends RequestSink {
  /** Every recorded request in arrival order; a record that no longer reads as one is skipped. */
  load(): Promise<RecordedRequest[]>;
  close(): void;
}

/**
 * Opens (or creates) the emulator's request log in an IndexedDB database of its own.
 *
 * @example
 * const state = await openEmulatorState('loraflow-emulator');
 * const emulator = await restoreEmulator(await state.load(), { clock: { speed: 600 } });
 */
export async function openEmulatorState(name: string): Promise<EmulatorStateStore> {
  const db: IDBPDatabase<EmulatorDB> = await openDB<EmulatorDB>(name, 1, {
    upgrade(database) {
      // auto-incremented keys keep arrival order, which a replay must follow
      database.createObjectStore('requests', { autoIncrement: true });
    },
  });
  return {
    async load() {
      const all = await db.getAll('requests');
      const out: RecordedRequest[] = [];
      for (const value of all) {
        const parsed = recordSchema.safeParse(value);
        if (parsed.success) out.push(parsed.data as RecordedRequest);
      }
      return out;
    },
    async append(entry) {
      await db.add('requests', entry);
    },
    async truncate() {
      await db.clear('requests');
    },
    close: () => db.close(),
  };
}
