import { describe, expect, it } from 'vitest';
import { createClock, MANUAL_CLOCK_START } from './clock';

describe('emulator clock', () => {
  it('stands still in manual mode until advanced', () => {
    let wall = 1_000;
    const clock = createClock('manual', () => wall);
    expect(clock.now()).toBe(MANUAL_CLOCK_START);
    wall += 60_000;
    expect(clock.now()).toBe(MANUAL_CLOCK_START);
    clock.advance(15 * 60_000);
    expect(clock.now()).toBe(MANUAL_CLOCK_START + 15 * 60_000);
  });

  it('runs at a speed factor and can switch speed without jumping', () => {
    let wall = 10_000;
    const clock = createClock({ speed: 60 }, () => wall);
    const start = clock.now();
    wall += 1_000;
    expect(clock.now()).toBe(start + 60_000);
    clock.setSpeed(2);
    const at = clock.now();
    wall += 1_000;
    expect(clock.now()).toBe(at + 2_000);
    clock.setManual();
    const frozen = clock.now();
    wall += 5_000;
    expect(clock.now()).toBe(frozen);
    expect(clock.describe()).toEqual({ mode: 'manual', speed: 0, now: frozen });
  });

  it('follows the wall clock in real mode', () => {
    let wall = 5_000;
    const clock = createClock('real', () => wall);
    wall += 250;
    expect(clock.now()).toBe(5_250);
  });

  it('refuses negative advances and non-positive speeds with a sentence', () => {
    const clock = createClock('manual');
    expect(() => clock.advance(-1)).toThrow('Clock advance must be a finite number');
    expect(() => clock.setSpeed(0)).toThrow('Clock speed must be a finite number above 0');
    expect(() => createClock({ speed: Number.NaN })).toThrow(RangeError);
  });
});
