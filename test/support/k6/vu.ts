// The virtual user of the k6 stand-in, run in a worker thread: evaluates the script (its init
// code reads __ENV), calls setup() once, then the default function run.iterations times, and
// posts what it recorded. An error in the script's init code surfaces as the worker's error.
import { run, vu, clearCookies } from "./vu-state";
import * as script from "virtual:k6-script";
import { parentPort } from "node:worker_threads";

const globals = globalThis as Record<string, unknown>;
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

vu.report.options = script.options;
let data: unknown;
let setupFailed = false;
if (run.runSetup && typeof script.setup === "function") {
  try {
    data = script.setup();
  } catch (error) {
    vu.report.setupError = message(error);
    setupFailed = true;
  }
}
// k6 runs setup() in a VU of its own: its cookies are not the shoppers'.
clearCookies();
vu.phase = "iteration";
const keepCookies = (script.options as { noCookiesReset?: boolean } | undefined)?.noCookiesReset === true;
for (let iteration = 0; iteration < run.iterations && !setupFailed; iteration++) {
  vu.iteration = iteration;
  globals.__ITER = iteration;
  // k6 empties the VU's cookie jar after every iteration unless the script sets noCookiesReset.
  if (!keepCookies && iteration > 0) clearCookies();
  try {
    script.default(data);
  } catch (error) {
    vu.report.iterationErrors.push(`iteration ${iteration}: ${message(error)}`);
  }
  vu.report.iterationsRun += 1;
}
parentPort?.postMessage(vu.report);
