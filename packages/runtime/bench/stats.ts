// What every runtime bench prints with: medians, rounding, one JSON line per figure.

/** The median of a list of timings. */
export const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Three decimals: microseconds of a millisecond figure. */
export const round = (x: number) => Math.round(x * 1000) / 1000;

/** One figure as a JSON line on stdout. */
export const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
