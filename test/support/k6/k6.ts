// Stand-in for the "k6" module: check, group, sleep and fail, recording instead of measuring.
import { advanceClock, vu } from "./vu-state";

export function check<T>(value: T, checks: Record<string, (value: T) => unknown>, _tags?: Record<string, string>): boolean {
  let all = true;
  for (const [name, predicate] of Object.entries(checks)) {
    // As in k6, a predicate that throws ends the iteration.
    const passed = Boolean(predicate(value));
    const tally = (vu.report.checks[name] ??= { passes: 0, fails: 0 });
    if (passed) tally.passes += 1;
    else tally.fails += 1;
    all &&= passed;
  }
  return all;
}

export function group<T>(name: string, body: () => T): T {
  vu.groups.push(name);
  try {
    return body();
  } finally {
    vu.groups.pop();
  }
}

/** Records the think time instead of waiting it, and moves the script's clock on by it. */
export function sleep(seconds: number): void {
  vu.report.sleeps.push({ phase: vu.phase, iteration: vu.iteration, seconds });
  advanceClock(seconds);
}

export function fail(message?: string): never {
  throw new Error(message);
}
