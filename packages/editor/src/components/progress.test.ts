import { describe, expect, it } from 'vitest';
import { progressDetail } from './LoraNode';

describe('progress detail', () => {
  it("words the LoRA pack's queue position and remaining time", () => {
    expect(progressDetail({ position: 3, remainingTimeMs: 754_000 })).toBe('#3 in queue · 12 min 34 s left');
  });

  it('leaves out a zero queue position and reads other packs’ names', () => {
    expect(progressDetail({ queuePosition: 0, remainingSeconds: 42 })).toBe('42 s left');
    expect(progressDetail({ stage: 2 })).toBeUndefined();
    expect(progressDetail(undefined)).toBeUndefined();
  });
});
