// Wall time per render phase, printed by `npm run render -- --timings` (and read by the bench),
// so optimisation follows measurements rather than guesses.
const spent = new Map<string, number>();

export function timed<T>(phase: string, work: () => T): T {
  const start = performance.now();
  try {
    return work();
  } finally {
    spent.set(phase, (spent.get(phase) ?? 0) + performance.now() - start);
  }
}


/** "phase 1.2 ms" lines, plus the process's whole life so far (Node's own start-up included). */
export function timingReport(): string[] {
  const lines = [...spent.entries()].map(([phase, ms]) => `  ${phase.padEnd(24)}${ms.toFixed(1).padStart(7)} ms`);
  return ["timings:", ...lines, `  ${"since process start".padEnd(24)}${performance.now().toFixed(1).padStart(7)} ms`];
}
