import { afterAll, beforeAll } from 'vitest';
import { startTestCluster, type TestCluster } from './cluster';

/**
 * Gives a test file one cluster: started before its first test, stopped and removed after its last (also when they
 * fail). Call inside the file's top level; the getter answers the cluster inside tests.
 *
 * @example
 * const cluster = useTestCluster();
 * it('...', async () => { const url = await cluster().createDatabase(); });
 */
export function useTestCluster(o: { durable?: boolean } = {}): () => TestCluster {
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    cluster = await startTestCluster(o);
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster)
      throw new Error('useTestCluster: the cluster is not started yet; ask for it inside a test.');
    return cluster;
  };
}
