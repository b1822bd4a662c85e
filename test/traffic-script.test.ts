// The k6 traffic script (apps/traffic/k6/script.ts) exactly as it ships: the text
// k6ScriptBundle() returns, run against a fake frontend (test/support/k6/fake-frontend.ts) that
// insists on what the real one needs. What runs it is a minimal stand-in for k6's runtime (http,
// check, sleep, group, __ENV), not k6: a worker thread is the virtual user, and since k6's http
// calls are synchronous, each request goes to a second worker that performs it while the VU waits
// on a shared signal (test/support/k6/). There is no k6 binary here; the stand-in keeps k6's
// cookie jar, redirect, form-encoding and tagging rules, records sleeps instead of waiting them,
// and seeds Math.random so every run picks the same journeys.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { k6ScriptBundle } from "../apps/traffic/k6-bundle";
import { loadEnvironment } from "../core/settings/load";
import { objectsOf } from "./support/render";
import { FakeFrontend } from "./support/k6/fake-frontend";
import type { RequestRecord, VuReport } from "./support/k6/report";
import { buildVuBundle, runVu, type VuBundle } from "./support/k6/runner";

/** Upstream's weights (src/loadgenerator/locustfile.py). */
const weights = { index: 1, setCurrency: 2, browseProduct: 10, addToCart: 2, viewCart: 3, checkout: 1 } as const;
const journeyNames = Object.keys(weights);
const seed = 20_240_612;
const repoRoot = resolve(fileURLToPath(new URL("..", import.meta.url)));

const fake = new FakeFrontend();
const scratch = mkdtempSync(join(tmpdir(), "k6-stand-in-"));
let bundle: VuBundle;
/** The long run most specifications read: one shopper, 1,200 journeys. */
let shopping: VuReport;

function envFor(url: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = { FRONTEND_URL: url, TRAFFIC_VUS: "2", TRAFFIC_DURATION: "5m", TRAFFIC_MAX_FAILED_RATE: "0.01", TRAFFIC_P95_MS: "1500", TRAFFIC_SETUP_TIMEOUT_SECONDS: "120", ...overrides };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The requests the script made in iterations (followed redirects left out). */
function steps(report: VuReport): RequestRecord[] {
  return report.requests.filter((request) => request.phase === "iteration" && request.hop === 0);
}

/** Which journey each iteration ran: the journey tag of its last request (the first iteration also lands on the home page). */
function journeyPerIteration(report: VuReport): string[] {
  const last = new Map<number, string>();
  for (const request of steps(report)) last.set(request.iteration, request.tags.journey ?? "(untagged)");
  return [...last.values()];
}

beforeAll(async () => {
  await fake.start();
  bundle = await buildVuBundle(k6ScriptBundle(), scratch);
  shopping = await runVu(bundle, { env: envFor(fake.url), iterations: 1200, runSetup: true, seed });
});

afterAll(async () => {
  await fake.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("shoppers against a frontend that insists on what the real one needs", () => {
  it("every journey completes with every check passing, and the fake refused nothing", () => {
    expect(shopping.setupError).toBeUndefined();
    expect(shopping.iterationErrors).toEqual([]);
    expect(shopping.iterationsRun).toBe(1200);
    expect(fake.rejections).toEqual([]);
    expect(new Set(journeyPerIteration(shopping))).toEqual(new Set(journeyNames));
    expect(shopping.checks).toEqual(
      Object.fromEntries(
        ["home: status 200", "home: shows the products", "set currency: status 200", "set currency: home page in the chosen currency", "product: status 200", "product: shows the product", "add to cart: status 200", "add to cart: the cart lists the product", "cart: status 200", "cart: shows the cart", "checkout: status 200", "checkout: order complete"].map((name) => [name, { passes: expect.any(Number), fails: 0 }]),
      ),
    );
    expect(shopping.requests.every((request) => request.expected)).toBe(true);
    expect(fake.ordersPlaced).toBe(journeyPerIteration(shopping).filter((journey) => journey === "checkout").length);
  });

  it("a VU is one shopper: a single session for the whole run, its cookies kept across iterations", () => {
    // Two sessions: setup()'s wait (a VU of its own in k6) and the shopper's.
    expect(fake.carts.size).toBe(2);
    // It lands on the home page once, before its first journey.
    const first = steps(shopping).filter((request) => request.iteration === 0);
    expect(first[0]).toMatchObject({ method: "GET", url: `${fake.url}/`, tags: { journey: "index" } });
  });

  it("tags every request with its journey, and names product pages with one name for all products", () => {
    const iterationRequests = shopping.requests.filter((request) => request.phase === "iteration");
    for (const request of iterationRequests) expect(journeyNames).toContain(request.tags.journey);
    const productPages = iterationRequests.filter((request) => request.url.includes("/product/"));
    expect(productPages.length).toBeGreaterThan(0);
    for (const request of productPages) expect(request.tags.name).toBe("/product/{id}");
    for (const request of iterationRequests.filter((r) => !r.url.includes("/product/"))) expect(request.tags.name).toBe(request.url);
    // The journeys' steps, as upstream's tasks make them.
    const stepsOf = (journey: string) => new Set(steps(shopping).filter((r) => r.tags.journey === journey && r.iteration > 0).map((r) => `${r.method} ${r.tags.name!.replace(fake.url, "")}`));
    expect(stepsOf("index")).toEqual(new Set(["GET /"]));
    expect(stepsOf("setCurrency")).toEqual(new Set(["POST /setCurrency"]));
    expect(stepsOf("browseProduct")).toEqual(new Set(["GET /product/{id}"]));
    expect(stepsOf("addToCart")).toEqual(new Set(["GET /product/{id}", "POST /cart"]));
    expect(stepsOf("viewCart")).toEqual(new Set(["GET /cart"]));
    expect(stepsOf("checkout")).toEqual(new Set(["GET /product/{id}", "POST /cart", "POST /cart/checkout"]));
  });

  it("picks journeys with upstream's weights (within 5 percentage points over 1,200) and thinks 1–10 s after every page", () => {
    const picked = journeyPerIteration(shopping);
    const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
    for (const [journey, weight] of Object.entries(weights)) {
      const share = picked.filter((name) => name === journey).length / picked.length;
      expect(Math.abs(share - weight / total), journey).toBeLessThanOrEqual(0.05);
    }
    const thinking = shopping.sleeps.filter((sleep) => sleep.phase === "iteration").map((sleep) => sleep.seconds);
    expect(thinking).toHaveLength(steps(shopping).length);
    expect(Math.min(...thinking)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...thinking)).toBeLessThanOrEqual(10);
    // Spread over the range, not stuck at one value.
    expect(Math.max(...thinking) - Math.min(...thinking)).toBeGreaterThan(8);
  });
});

describe("the fake frontend's insistence bites", () => {
  // The same bundle with one slip planted: the fake refuses, and the page's checks fail.
  it.each([
    { slip: "loses its cookies after each iteration", from: "noCookiesReset: true", to: "noCookiesReset: false", refusal: /without a shop_session-id cookie/, check: "cart: status 200" },
    { slip: "sends a card number that fails the Luhn check", from: "credit_card_number: cardNumber()", to: "credit_card_number: cardNumber().replace(/.$/, (d) => String((Number(d) + 1) % 10))", refusal: /fails the Luhn check/, check: "checkout: status 200" },
    { slip: "adds 0 items to the cart", from: "randomInt(1, 10)", to: "randomInt(0, 10)", refusal: /quantity "0"/, check: "add to cart: status 200" },
  ])("a script that $slip", async ({ from, to, refusal, check }) => {
    const shipped = k6ScriptBundle();
    expect(shipped).toContain(from);
    const slipped = await buildVuBundle(shipped.replace(from, to), mkdtempSync(join(scratch, "slip-")));
    fake.reset();
    try {
      const report = await runVu(slipped, { env: envFor(fake.url), iterations: 150, runSetup: true, seed });
      expect(fake.rejections.map((rejection) => rejection.reason)).toContainEqual(expect.stringMatching(refusal));
      expect(report.checks[check]?.fails).toBeGreaterThan(0);
    } finally {
      fake.reset();
    }
  });
});

describe("a failing frontend", () => {
  it("answering 500 everywhere fails the checks, the status check of every page among them", async () => {
    fake.reset();
    fake.failing = true;
    try {
      const report = await runVu(bundle, { env: envFor(fake.url), iterations: 40, runSetup: false, seed });
      const failing = Object.entries(report.checks).filter(([, tally]) => tally.fails > 0);
      expect(failing.length).toBeGreaterThan(0);
      for (const [name, tally] of failing) expect(tally, name).toMatchObject({ passes: 0 });
      const statusChecks = Object.keys(report.checks).filter((name) => name.endsWith(": status 200"));
      expect(statusChecks.sort()).toEqual(["add to cart: status 200", "cart: status 200", "checkout: status 200", "home: status 200", "product: status 200", "set currency: status 200"]);
      expect(failing.map(([name]) => name)).toEqual(expect.arrayContaining(statusChecks));
      // All of them count against http_req_failed.
      expect(report.requests.every((request) => !request.expected)).toBe(true);
    } finally {
      fake.reset();
    }
  });
});

describe("setup()", () => {
  it("waits until the frontend answers GET / with 200, without counting the wait as failed requests", async () => {
    fake.reset();
    fake.unavailableFor(3);
    const report = await runVu(bundle, { env: envFor(fake.url), iterations: 0, runSetup: true, seed });
    expect(report.setupError).toBeUndefined();
    const waiting = report.requests.filter((request) => request.phase === "setup");
    expect(waiting.map((request) => `${request.method} ${request.url} ${request.status}`)).toEqual([503, 503, 503, 200].map((status) => `GET ${fake.url}/ ${status}`));
    expect(waiting.every((request) => request.expected)).toBe(true);
    expect(report.sleeps.filter((sleep) => sleep.phase === "setup").map((sleep) => sleep.seconds)).toEqual([3, 3, 3]);
  });

  it("gives up with a clear error after TRAFFIC_SETUP_TIMEOUT_SECONDS (by the script's clock, which the stand-in's sleep moves on) without an answer", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const report = await runVu(bundle, { env: envFor(`http://127.0.0.1:${port}`), iterations: 1, runSetup: true, seed });
    expect(report.setupError).toMatch(new RegExp(`^The frontend at http://127\\.0\\.0\\.1:${port} did not answer GET / with 200 within 120 s; last answer: no answer \\(.*ECONNREFUSED.*\\)$`));
    // One request every 3 s for 120 s (and the real milliseconds the requests took).
    expect(report.requests.length).toBeGreaterThanOrEqual(40);
    expect(report.requests.length).toBeLessThanOrEqual(41);
    expect(report.requests.every((request) => request.status === 0)).toBe(true);
    // No answer is not a failed request either: the wait stays out of the threshold.
    expect(report.requests.every((request) => request.expected)).toBe(true);
    expect(report.sleeps).toHaveLength(report.requests.length - 1);
    expect(report.iterationsRun).toBe(0);
  });
});

describe("options from the environment the CronJob sets", () => {
  it.each(["dev", "prod"])("%s: the rendered CronJob's environment gives the options its settings say", async (environment) => {
    const settings = loadEnvironment(join(repoRoot, "environments"), environment, repoRoot).settings;
    const cron = objectsOf(environment).find((object) => object.kind === "CronJob" && object.metadata.name === "traffic")!;
    const env = Object.fromEntries((cron.spec.jobTemplate.spec.template.spec.containers[0].env as { name: string; value: string }[]).map(({ name, value }) => [name, value]));
    const report = await runVu(bundle, { env, iterations: 0, runSetup: false, seed });
    const { vus, duration, thresholds } = settings.traffic;
    expect(report.options).toMatchObject({ vus, duration, thresholds: { http_req_failed: [`rate<${thresholds.maxFailedRequestRate}`], http_req_duration: [`p(95)<${thresholds.p95Milliseconds}`] } });
  });

  it.each([
    { env: { TRAFFIC_VUS: "2", TRAFFIC_DURATION: "5m", TRAFFIC_MAX_FAILED_RATE: "0.01", TRAFFIC_P95_MS: "1500" }, vus: 2, duration: "5m", failed: "rate<0.01", p95: "p(95)<1500" },
    { env: { TRAFFIC_VUS: "12", TRAFFIC_DURATION: "1h30m", TRAFFIC_MAX_FAILED_RATE: "0.25", TRAFFIC_P95_MS: "800" }, vus: 12, duration: "1h30m", failed: "rate<0.25", p95: "p(95)<800" },
  ])("$env.TRAFFIC_VUS shoppers for $env.TRAFFIC_DURATION", async ({ env, vus, duration, failed, p95 }) => {
    const report = await runVu(bundle, { env: envFor("http://frontend.microservices-demo.svc.cluster.local:80", env), iterations: 0, runSetup: false, seed });
    expect(report.options).toEqual({ vus, duration, thresholds: { http_req_failed: [failed], http_req_duration: [p95] }, setupTimeout: "150s", noCookiesReset: true });
  });

  it.each([
    { bad: { TRAFFIC_SETUP_TIMEOUT_SECONDS: "5" }, error: 'TRAFFIC_SETUP_TIMEOUT_SECONDS must be a whole number of at least 10, got "5"' },
    { bad: { TRAFFIC_VUS: "0" }, error: 'TRAFFIC_VUS must be a whole number of at least 1, got "0"' },
    { bad: { TRAFFIC_VUS: "two" }, error: 'TRAFFIC_VUS must be a whole number of at least 1, got "two"' },
    { bad: { FRONTEND_URL: undefined }, error: "FRONTEND_URL is not set" },
    { bad: { FRONTEND_URL: "frontend:80" }, error: 'FRONTEND_URL must be an http(s) URL such as http://frontend.microservices-demo.svc.cluster.local:80, got "frontend:80"' },
    { bad: { TRAFFIC_DURATION: "five minutes" }, error: 'TRAFFIC_DURATION must be a k6 duration such as 5m, 90s or 1h30m, got "five minutes"' },
    { bad: { TRAFFIC_MAX_FAILED_RATE: "1%" }, error: 'TRAFFIC_MAX_FAILED_RATE must be a number above 0 and at most 1, got "1%"' },
    { bad: { TRAFFIC_P95_MS: "0" }, error: "TRAFFIC_P95_MS must be a number above 0" },
  ])("stops at init when $error", async ({ bad, error }) => {
    await expect(runVu(bundle, { env: envFor("http://frontend:80", bad), iterations: 1, runSetup: true, seed })).rejects.toThrow(error);
  });
});

describe("the shipped bundle", () => {
  it("imports k6's own modules only", () => {
    // buildVuBundle refuses any other import; these are the ones it saw.
    expect(bundle.scriptImports).toEqual(["k6", "k6/http"]);
  });

  it("type-checks against k6's types under its own tsconfig (k6's globals, no Node)", () => {
    const configPath = join(repoRoot, "apps/traffic/k6/tsconfig.json");
    const config = ts.getParsedCommandLineOfConfigFile(configPath, undefined, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (diagnostic) => expect.fail(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")) });
    expect(config?.fileNames.map((file) => file.replace(`${repoRoot}/`, ""))).toContain("apps/traffic/k6/script.ts");
    expect(config?.options.types).toEqual(["k6"]);
    const program = ts.createProgram({ rootNames: config!.fileNames, options: config!.options });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    expect(diagnostics).toEqual([]);
  });

  it("is the same text on every build, and names no path of this machine", async () => {
    // The plain import is the text built once for the whole run (vitest.config.ts); with a query
    // vitest loads the module itself, which runs esbuild on every call.
    const source = "../apps/traffic/k6-bundle.ts?source";
    const { k6ScriptBundle: buildScript } = (await import(/* @vite-ignore */ source)) as typeof import("../apps/traffic/k6-bundle");
    const text = buildScript();
    expect(buildScript()).toBe(text);
    expect(k6ScriptBundle()).toBe(text);
    expect(text.split("\n")[0]).toBe("// Generated from apps/traffic/k6/script.ts by `npm run render`: edit that file, not this text.");
    expect(text).toContain("\n// apps/traffic/k6/script.ts\n");
    for (const path of [repoRoot, homedir(), tmpdir()]) expect(text).not.toContain(path);
    expect(text).not.toMatch(/(^|[\s"'(])\/(home|root|tmp|work|Users)\//m);
  });
});
