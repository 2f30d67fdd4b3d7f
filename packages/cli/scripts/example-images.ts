// Draws the small training images shipped in examples/images/ (run once; the PNGs are committed).
// Each is a 96×96 "paper lantern" on a coloured ground, lit from a different side, so a training set has variety.
import { mkdirSync, writeFileSync } from 'node:fs';
import { encode } from 'fast-png';

const SIZE = 96;
const target = new URL('../../../examples/images/', import.meta.url);
mkdirSync(target, { recursive: true });

const grounds: Array<[number, number, number]> = [
  [32, 48, 96],
  [24, 72, 64],
  [88, 40, 72],
  [40, 40, 48],
  [96, 64, 32],
];

for (const [index, ground] of grounds.entries()) {
  const data = new Uint8Array(SIZE * SIZE * 3);
  const lightX = Math.cos((index / grounds.length) * Math.PI * 2);
  const lightY = Math.sin((index / grounds.length) * Math.PI * 2);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const dx = (x - SIZE / 2) / 26;
      const dy = (y - SIZE / 2 - 4) / 34;
      const inside = dx * dx + dy * dy <= 1;
      const rib = Math.abs(Math.sin(dy * 9)) < 0.18;
      const cap = Math.abs(y - (SIZE / 2 - 36)) < 3 && Math.abs(x - SIZE / 2) < 12;
      const o = (y * SIZE + x) * 3;
      if (cap) {
        data.set([30, 24, 20], o);
      } else if (inside) {
        const shade = 0.65 + 0.35 * Math.max(0, dx * lightX + dy * lightY + 0.4);
        const base: [number, number, number] = rib ? [170, 60, 30] : [240, 120, 50];
        data.set(
          base.map((c) => Math.min(255, Math.round(c * shade))),
          o,
        );
      } else {
        const fade = 0.8 + 0.2 * (y / SIZE);
        data.set(
          ground.map((c) => Math.round(c * fade)),
          o,
        );
      }
    }
  }
  writeFileSync(
    new URL(`lantern-${index + 1}.png`, target),
    encode({ width: SIZE, height: SIZE, data, channels: 3 }),
  );
}
