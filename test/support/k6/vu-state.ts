// The virtual user's side of the k6 stand-in: its run, its records, its cookie jar, and the
// synchronous path to the fetcher worker. Imported first by vu.ts, so __ENV and the seeded
// Math.random are in place before the script's init code runs.
import { receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import type { VuReport, VuRun, WireRequest, WireResponse } from "./report";

interface VuWorkerData extends VuRun {
  port: MessagePort;
  /** One Int32: 0 while a request is out, 1 once its answer is on the port. */
  signal: SharedArrayBuffer;
}

const data = workerData as VuWorkerData;
export const run: VuRun = { env: data.env, iterations: data.iterations, runSetup: data.runSetup, seed: data.seed };

/** mulberry32: a small seeded PRNG, so a run picks the same journeys every time. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Math.random = seededRandom(run.seed);
// sleep() records think time instead of waiting it; the clock the script reads moves on by what it slept.
let slept = 0;
const realNow = Date.now;
Date.now = () => realNow() + slept;
export function advanceClock(seconds: number): void {
  slept += seconds * 1000;
}
const globals = globalThis as Record<string, unknown>;
globals.__ENV = { ...run.env };
globals.__VU = 1;
globals.__ITER = 0;

export const vu = {
  phase: "setup" as "setup" | "iteration",
  iteration: -1,
  groups: [] as string[],
  report: { options: undefined, iterationsRun: 0, iterationErrors: [], requests: [], checks: {}, sleeps: [] } as VuReport,
};

// --- Cookie jar (one per VU, as in k6) --------------------------------------------------------

interface Cookie {
  name: string;
  value: string;
  host: string;
  path: string;
}

const jar = new Map<string, Cookie>();

export function clearCookies(): void {
  jar.clear();
}

/** Stores the Set-Cookie headers of an answer from `url` (host-only cookies; Max-Age ≤ 0 deletes). */
export function storeCookies(url: URL, setCookie: string | string[] | undefined): void {
  for (const header of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
    const [pair = "", ...attributes] = header.split(";").map((part) => part.trim());
    const equals = pair.indexOf("=");
    if (equals <= 0) continue;
    const cookie: Cookie = { name: pair.slice(0, equals), value: pair.slice(equals + 1), host: url.host, path: "/" };
    let expired = false;
    for (const attribute of attributes) {
      const [key = "", value = ""] = attribute.split("=");
      if (key.toLowerCase() === "path" && value.startsWith("/")) cookie.path = value;
      if (key.toLowerCase() === "max-age" && Number(value) <= 0) expired = true;
    }
    const key = `${cookie.host} ${cookie.path} ${cookie.name}`;
    if (expired) jar.delete(key);
    else jar.set(key, cookie);
  }
}

/** The Cookie header k6 would send to `url`. */
export function cookieHeader(url: URL): string | undefined {
  const cookies = [...jar.values()].filter((cookie) => cookie.host === url.host && url.pathname.startsWith(cookie.path));
  return cookies.length === 0 ? undefined : cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join("; ");
}

// --- Synchronous HTTP ----------------------------------------------------------------------------
// k6's http calls block the VU until the answer is in. Here the VU posts the request to the
// fetcher worker and sleeps on the shared signal; the fetcher posts the answer and wakes it, and
// the VU takes the answer off the port without going through its (blocked) event loop.

const signal = new Int32Array(data.signal);

export function exchange(request: WireRequest): WireResponse {
  Atomics.store(signal, 0, 0);
  data.port.postMessage(request);
  if (Atomics.wait(signal, 0, 0, request.timeoutMs + 10_000) === "timed-out") throw new Error(`k6 stand-in: the fetcher did not answer ${request.method} ${request.url}`);
  const answer = receiveMessageOnPort(data.port);
  if (answer === undefined) throw new Error(`k6 stand-in: no answer on the port for ${request.method} ${request.url}`);
  return answer.message as WireResponse;
}
