// What a run of the k6 stand-in reports back to the test: the records its k6 calls made.

/** One HTTP exchange, as k6 would emit metrics for it (a followed redirect is an exchange of its own). */
export interface RequestRecord {
  phase: "setup" | "iteration";
  /** Iteration number; -1 during setup. */
  iteration: number;
  /** k6's group path, e.g. "::checkout" ("" outside any group). */
  group: string;
  method: string;
  url: string;
  /** 0 when no answer came (k6's status for a network error). */
  status: number;
  error?: string;
  /** The request's tags as k6 would tag its metrics: the script's tags and `name` (the URL unless the script names it). */
  tags: Record<string, string>;
  /** false where k6 would count the exchange in http_req_failed (outside 200–399, unless a responseCallback says otherwise). */
  expected: boolean;
  /** 0 for the request the script made, 1, 2, … for the redirects followed for it. */
  hop: number;
}

export interface CheckTally {
  passes: number;
  fails: number;
}

export interface SleepRecord {
  phase: "setup" | "iteration";
  iteration: number;
  seconds: number;
}

export interface VuReport {
  /** The script's exported `options`, as evaluated at init with the run's __ENV. */
  options: unknown;
  /** The error setup() threw, if it did (k6 would abort the run). */
  setupError?: string;
  iterationsRun: number;
  /** Errors that ended an iteration (k6 logs them and starts the next). */
  iterationErrors: string[];
  requests: RequestRecord[];
  /** Results per check name. */
  checks: Record<string, CheckTally>;
  sleeps: SleepRecord[];
}

/** What the test asks a virtual user to do. */
export interface VuRun {
  env: Record<string, string>;
  /** Default-function calls after setup. */
  iterations: number;
  runSetup: boolean;
  /** Seed of the VU's Math.random. */
  seed: number;
}

/** One request handed from the VU to the fetcher worker, and its answer. */
export interface WireRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
  error?: string;
}
