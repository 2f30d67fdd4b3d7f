import { describe, expect, it } from 'vitest';
import { runMany } from './test/many-runs';
import { hits, proofEnvironment } from './test/proof-env';

// One runtime HTTP handler (what `loraflow serve` serves) over a file store, on an emulator server: many runs that
// share a training set must share its side effects, judged by the emulator's request log.

const { emulator, dir } = proofEnvironment();

describe('many concurrent runs through one runtime handler', () => {
  it('performs the shared training once for 100 runs with different prompts: 1+1 model creates, 1+1 trains, 5 uploads, 100 generations, 100 runs succeeded', async () => {
    const server = await emulator();
    const { statuses } = await runMany(server, await dir(), 100);
    const count = (route: string) => hits(server, route).length;
    expect({
      succeeded: statuses.filter((s) => s === 'succeeded').length,
      // the trained model and the composition
      modelCreates: count('scenario.models.create'),
      // the training, and the composition's finalising train call
      trains: count('scenario.models.train'),
      uploads: count('scenario.models.trainingImages.add'),
      generations: count('scenario.generate.txt2img'),
    }).toEqual({ succeeded: 100, modelCreates: 2, trains: 2, uploads: 5, generations: 100 });
  });
});
