import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["./test/support/global-setup.ts"],
    // Engine tests start real servers; give them room. Most of a test file's time is spent
    // waiting on those servers (start-up, failover, backoff), so four files run at once even on
    // 2 cores (vitest's default would be one: cores - 1; four measured 10 % faster than three);
    // timing assertions allow for it.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
