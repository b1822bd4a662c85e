// The GitHub Actions workflows. No runner here: every file under .github/workflows/ is checked
// against the workflow schema by @action-validator/cli, ci.yml is read as data (yaml) and held to
// what CI must do, its comment script runs against a stand-in for GitHub's API, and the list of
// Debian packages it installs is the one .ci/run installs.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = join(import.meta.dirname, "..");
const workflowsDir = join(root, ".github/workflows");
const validator = join(root, "node_modules/.bin/action-validator");

type Step = { id?: string; name?: string; if?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; "continue-on-error"?: boolean | string };
type Job = {
  if?: string;
  needs?: string | string[];
  "runs-on": string;
  "timeout-minutes"?: number;
  permissions?: Record<string, string>;
  strategy?: { matrix: Record<string, unknown[]> };
  steps: Step[];
};
type Workflow = {
  on: Record<string, { branches?: string[] }>;
  permissions: Record<string, string>;
  concurrency: { group: string; "cancel-in-progress": boolean | string };
  jobs: Record<string, Job>;
};

const ci = parse(readFileSync(join(workflowsDir, "ci.yml"), "utf8")) as Workflow;
const { checks, diff } = ci.jobs as { checks: Job; diff: Job };
const runs = (job: Job) => job.steps.map((step) => step.run ?? "");
const stepIndex = (job: Job, pattern: RegExp) => job.steps.findIndex((step) => pattern.test(step.run ?? step.uses ?? ""));
const stepRunning = (job: Job, pattern: RegExp) => job.steps[stepIndex(job, pattern)]!;

// Scratch files (broken workflow copies, a stand-in npm), removed at the end.
const scratch = mkdtempSync(join(tmpdir(), "workflows-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// The validator

type ValidatorError = { code: string; path: string; detail?: string; states?: { errors: ValidatorError[] }[] };

function validate(file: string): { status: number | null; errors: ValidatorError[]; stderr: string } {
  const result = spawnSync(validator, [file], { encoding: "utf8" });
  if (result.error) throw result.error;
  // Warnings ("Glob validation is not yet supported") come first, then the JSON report.
  const json = result.stderr.slice(Math.max(result.stderr.indexOf("\n{") + 1, 0));
  const errors = result.status === 0 ? [] : (JSON.parse(json) as { errors: ValidatorError[] }).errors;
  return { status: result.status, errors, stderr: result.stderr };
}

// Permissions GitHub added after the schema in @action-validator/cli 0.6.0 was taken: it rejects
// them as unknown properties. order-persistence-image.yml needs attestations: write for its build
// provenance, so exactly that error is let through, nothing else.
const permissionsNewerThanTheSchema = ["attestations"];
const newerPermission = new RegExp(`^Additional property '(${permissionsNewerThanTheSchema.join("|")})' is not allowed$`);
function onlyANewerPermission(error: ValidatorError): boolean {
  return (
    error.code === "one_of" &&
    /(^|\/)permissions$/.test(error.path) &&
    (error.states ?? []).some((state) => state.errors.length > 0 && state.errors.every((e) => e.code === "properties" && newerPermission.test(e.detail ?? "")))
  );
}

describe("every workflow under .github/workflows/ passes @action-validator/cli", () => {
  const files = readdirSync(workflowsDir).filter((name) => /\.ya?ml$/.test(name));

  it("finds the workflows", () => {
    expect(files).toEqual(expect.arrayContaining(["ci.yml", "order-persistence-image.yml"]));
  });

  it.each(files)("%s", (name) => {
    const { status, errors, stderr } = validate(join(workflowsDir, name));
    expect(errors.filter((error) => !onlyANewerPermission(error)), stderr).toEqual([]);
    if (errors.length === 0) expect(status, stderr).toBe(0);
  });

  it("ci.yml passes without any exception", () => {
    expect(validate(join(workflowsDir, "ci.yml")).status).toBe(0);
  });

  describe("the validator is alive", () => {
    it("rejects a copy of ci.yml with a misspelt key (runs-onn)", () => {
      const broken = join(scratch, "ci.yml");
      writeFileSync(broken, readFileSync(join(workflowsDir, "ci.yml"), "utf8").replace("runs-on:", "runs-onn:"));
      const { status, stderr } = validate(broken);
      expect(status).toBe(1);
      expect(stderr).toContain("Additional property 'runs-onn' is not allowed");
    });

    it("rejects a permission GitHub does not have, even next to the newer one it lets through", () => {
      const broken = join(scratch, "image.yml");
      writeFileSync(broken, readFileSync(join(workflowsDir, "order-persistence-image.yml"), "utf8").replace("  contents: read\n", "  contents: read\n  content: write\n"));
      const { status, errors } = validate(broken);
      expect(status).toBe(1);
      expect(errors.filter((error) => !onlyANewerPermission(error))).not.toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// ci.yml

describe("ci.yml: when it runs and with which rights", () => {
  it("runs on pull requests to main and on pushes to main", () => {
    expect(ci.on.pull_request).toEqual({ branches: ["main"] });
    expect(ci.on.push).toEqual({ branches: ["main"] });
  });

  it("runs once per ref, cancelling the superseded run of a pull request only", () => {
    expect(ci.concurrency.group).toContain("${{ github.ref }}");
    expect(ci.concurrency["cancel-in-progress"]).toBe("${{ github.event_name == 'pull_request' }}");
  });

  it("reads only, at the top; a job writes only what it needs", () => {
    expect(ci.permissions).toEqual({ contents: "read" });
    const writes = Object.fromEntries(Object.entries(ci.jobs).map(([name, job]) => [name, Object.keys(job.permissions ?? {}).filter((scope) => job.permissions![scope] === "write")]));
    expect(writes).toEqual({ checks: ["security-events"], diff: ["pull-requests"] });
  });

  it("has a timeout on every job and pins every action to a major version (or a commit)", () => {
    for (const [name, job] of Object.entries(ci.jobs)) {
      expect(job["timeout-minutes"], name).toBeGreaterThan(0);
      expect(job["runs-on"], name).toBe("ubuntu-24.04");
      for (const step of job.steps.filter((step) => step.uses)) expect(step.uses, name).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+|[0-9a-f]{40})$/);
    }
  });
});

describe("ci.yml: the checks job", () => {
  it("tests the current Node LTS lines, 22 and 24", () => {
    expect(checks.strategy!.matrix.node).toEqual([22, 24]);
    expect(stepRunning(checks, /^actions\/setup-node@/).with).toEqual({ "node-version": "${{ matrix.node }}", cache: "npm" });
  });

  it("checks out the whole history", () => {
    expect(stepRunning(checks, /^actions\/checkout@/).with).toEqual({ "fetch-depth": 0 });
  });

  it("installs the engines from .ci/debian-packages, then runs npm ci, the render check, the policy and npm test, in that order", () => {
    const order = [/apt-get install/, /^npm ci\b/, /^npm run render -- --check$/, /^npm run --silent policy -- --format sarif > /, /^github\/codeql-action\/upload-sarif@/, /^npm test$/].map((pattern) => stepIndex(checks, pattern));
    expect(order.every((index) => index >= 0), JSON.stringify(order)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(stepRunning(checks, /apt-get install/).run).toBe("sudo apt-get update && grep -v '^#' .ci/debian-packages | xargs sudo apt-get install -y --no-install-recommends");
  });

  it("uploads the SARIF the policy wrote, even when the policy failed, from one Node version only", () => {
    const policy = stepRunning(checks, /--format sarif/);
    const upload = stepRunning(checks, /^github\/codeql-action\/upload-sarif@/);
    const written = /> "\$RUNNER_TEMP\/(\S+)"$/.exec(policy.run!)![1];
    expect(upload.with).toEqual({ sarif_file: `\${{ runner.temp }}/${written}`, category: "policy" });
    expect(upload.if).toMatch(/^\$\{\{ always\(\) && matrix\.node == 24 && steps\.policy\.outcome != 'skipped' \}\}$/);
    expect(policy.id).toBe("policy");
  });

  it("still fails when the policy failed: the policy step lets the job go on, the last step fails it", () => {
    expect(stepRunning(checks, /--format sarif/)["continue-on-error"]).toBe(true);
    const last = checks.steps.at(-1)!;
    expect(last.if).toBe("${{ !cancelled() && steps.policy.outcome == 'failure' }}");
    // Run as the runner runs it (bash -eo pipefail), with an npm that stands in for the text-format
    // rerun: the step fails whether that rerun fails or, somehow, passes.
    writeFileSync(join(scratch, "npm"), '#!/bin/sh\necho "npm $*"\nexit "$NPM_STATUS"\n', { mode: 0o755 });
    for (const status of ["1", "0"]) {
      const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", last.run!], { env: { ...process.env, PATH: `${scratch}:${process.env.PATH}`, NPM_STATUS: status }, encoding: "utf8" });
      expect(result.stdout, `npm exits ${status}`).toContain("npm run policy\n::error::npm run policy failed");
      expect(result.status, `npm exits ${status}`).toBe(1);
    }
  });

  it("keeps npm's own lines out of the SARIF (npm run --silent)", () => {
    expect(runs(checks).filter((run) => run.includes(">"))).toEqual([expect.stringMatching(/^npm run --silent policy /)]);
  });
});

describe("ci.yml: the diff job", () => {
  it("runs on pull requests only, on Node 24, waiting for nothing", () => {
    expect(diff.if).toBe("github.event_name == 'pull_request'");
    expect(diff.needs).toBeUndefined();
    expect(stepRunning(diff, /^actions\/setup-node@/).with).toEqual({ "node-version": 24, cache: "npm" });
    expect(stepRunning(diff, /^actions\/checkout@/).with).toEqual({ "fetch-depth": 0 });
  });

  it("may comment on the pull request and read the repository, nothing else", () => {
    expect(diff.permissions).toEqual({ contents: "read", "pull-requests": "write" });
  });

  it("renders the markdown diff against the base branch, then comments it with github-script", () => {
    expect(runs(diff)).toContain("npm ci --no-audit --no-fund");
    const render = stepRunning(diff, /npm run --silent diff /);
    expect(render.run).toBe('npm run --silent diff -- --base "origin/$GITHUB_BASE_REF" --format markdown > "$RUNNER_TEMP/diff.md"');
    const comment = stepRunning(diff, /^actions\/github-script@/);
    expect(stepIndex(diff, /^actions\/github-script@/)).toBeGreaterThan(stepIndex(diff, /npm run --silent diff /));
    expect(comment.env).toEqual({ DIFF_FILE: "${{ runner.temp }}/diff.md" });
  });
});

describe("ci.yml runs only npm scripts that exist", () => {
  const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  const called = [...new Set(Object.values(ci.jobs).flatMap(runs).flatMap((run) => [...run.matchAll(/\bnpm (?:run (?:--silent )?([\w:-]+)|(test)\b)/g)].map((m) => m[1] ?? m[2]!)))];

  it("calls render, policy, test and diff", () => {
    expect(called.sort()).toEqual(["diff", "policy", "render", "test"]);
  });

  it("render, policy and test are scripts of package.json", () => {
    for (const name of ["render", "policy", "test"]) expect(scripts[name], name).toBeDefined();
  });

  // npm run diff is being written in parallel; this turns from skipped to run once it lands.
  it.skipIf(!("diff" in scripts))("diff is a script of package.json", () => {
    expect(scripts.diff).toBeDefined();
  });
});

// ---------------------------------------------------------------------------------------------
// The comment script, run as actions/github-script runs it, against a stand-in for GitHub's API.

type Comment = { id: number; user: { login: string }; body: string };
const commentScript = stepRunning(diff, /^actions\/github-script@/).with!.script as string;
const marker = "<!-- rendered-diff -->";
const bot = "github-actions[bot]";

async function comment(report: string, existing: Comment[] = [], failWith?: number) {
  const dir = mkdtempSync(join(tmpdir(), "rendered-diff-"));
  const calls: { create: { body: string }[]; update: { comment_id: number; body: string }[]; summary: string[]; warnings: string[] } = { create: [], update: [], summary: [], warnings: [] };
  const refuse = () => {
    if (failWith) throw Object.assign(new Error(`HTTP ${failWith}`), { status: failWith });
  };
  const listComments = () => {};
  const github = {
    paginate: async (method: unknown, params: { issue_number: number; per_page: number }) => {
      expect(method).toBe(listComments);
      expect(params).toMatchObject({ owner: "example", repo: "boutique", issue_number: 7 });
      return existing;
    },
    rest: {
      issues: {
        listComments,
        createComment: async (params: { issue_number: number; body: string }) => {
          refuse();
          expect(params.issue_number).toBe(7);
          calls.create.push({ body: params.body });
        },
        updateComment: async (params: { comment_id: number; body: string }) => {
          refuse();
          calls.update.push({ comment_id: params.comment_id, body: params.body });
        },
      },
    },
  };
  const core = {
    summary: { addRaw: (text: string) => (calls.summary.push(text), { write: async () => {} }) },
    warning: (message: string) => calls.warnings.push(message),
  };
  const context = { repo: { owner: "example", repo: "boutique" }, issue: { number: 7 } };
  const previous = process.env.DIFF_FILE;
  try {
    writeFileSync(join(dir, "diff.md"), report);
    process.env.DIFF_FILE = join(dir, "diff.md");
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<void>;
    await new AsyncFunction("require", "github", "context", "core", commentScript)(createRequire(import.meta.url), github, context, core);
  } finally {
    if (previous === undefined) delete process.env.DIFF_FILE;
    else process.env.DIFF_FILE = previous;
    rmSync(dir, { recursive: true, force: true });
  }
  return calls;
}

describe("the rendered-diff comment", () => {
  const report = "## rendered/ diff\n\n1 file changed in prod\n";

  it("is created once, with the hidden marker, and the report also goes to the job summary", async () => {
    const calls = await comment(report);
    expect(calls.create).toEqual([{ body: `${marker}\n${report.trim()}\n` }]);
    expect(calls.update).toEqual([]);
    expect(calls.summary).toEqual([report.trim()]);
  });

  it("is edited on the next push: the bot's comment carrying the marker, not a person's quoting it", async () => {
    const existing = [
      { id: 1, user: { login: "someone" }, body: `about ${marker}` },
      { id: 2, user: { login: bot }, body: "another bot note" },
      { id: 3, user: { login: bot }, body: `${marker}\nold report` },
    ];
    const calls = await comment(report, existing);
    expect(calls.create).toEqual([]);
    expect(calls.update).toEqual([{ comment_id: 3, body: `${marker}\n${report.trim()}\n` }]);
  });

  it("says so when nothing changed and the report is empty", async () => {
    expect((await comment("\n")).create[0]!.body).toBe(`${marker}\nNo change to \`rendered/\`.\n`);
  });

  it("stays under GitHub's 65,536 characters, cut at a line with its code fence closed", async () => {
    const long = "## rendered/ diff\n\n```diff\n" + "+ a line of a rendered manifest\n".repeat(5_000) + "```\n";
    const body = (await comment(long)).create[0]!.body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.length).toBeGreaterThan(60_000);
    expect(body.startsWith(`${marker}\n## rendered/ diff`)).toBe(true);
    expect(body).toMatch(/\n```\n\n\*Cut to fit a comment: the whole report is in the summary of this job's run\.\*\n$/);
    expect(body.match(/^```/gm)!.length % 2).toBe(0);
  });

  it("warns and passes on a read-only token (403, a pull request from a fork); any other failure fails", async () => {
    const refused = await comment(report, [], 403);
    expect(refused.warnings).toEqual([expect.stringContaining("read-only")]);
    expect(refused.summary).toEqual([report.trim()]);
    await expect(comment(report, [], 500)).rejects.toMatchObject({ status: 500 });
  });
});

// ---------------------------------------------------------------------------------------------
// .ci/debian-packages: the one list of engines

const packagesFile = readFileSync(join(root, ".ci/debian-packages"), "utf8");
const packageLines = packagesFile.split("\n");
const packages = packageLines.filter((line) => line !== "" && !line.startsWith("#"));

// Each package and the programs of it that the tests start, by name.
const programsOf: Record<string, string[]> = {
  "lua5.1": ["lua5.1"],
  postgresql: ["initdb", "pg_ctl"],
  "redis-server": ["redis-server"],
  "redis-sentinel": ["redis-sentinel"],
  prometheus: ["prometheus", "promtool"],
  "prometheus-alertmanager": ["amtool"],
  "prometheus-postgres-exporter": ["prometheus-postgres-exporter"],
  "prometheus-redis-exporter": ["prometheus-redis-exporter"],
  "prometheus-node-exporter": ["prometheus-node-exporter"],
};

function testSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "__snapshots__" ? [] : testSources(path);
    return entry.name.endsWith(".ts") && path !== import.meta.filename ? [readFileSync(path, "utf8")] : [];
  });
}

describe(".ci/debian-packages", () => {
  it("holds exactly the packages whose programs the tests start", () => {
    expect(packages).toEqual(Object.keys(programsOf));
    const sources = testSources(join(root, "test")).join("\n");
    for (const [name, programs] of Object.entries(programsOf)) for (const program of programs) expect(sources, `${program} (${name})`).toContain(`"${program}"`);
  });

  it("has one package per line, each under a comment saying what it runs", () => {
    for (const name of packages) {
      expect(name).toMatch(/^[a-z0-9][a-z0-9.+-]+$/);
      expect(packageLines[packageLines.indexOf(name) - 1], name).toMatch(/^# /);
    }
  });

  it("is what .ci/run reads: it parses, names the file and lists no package itself", () => {
    const run = readFileSync(join(root, ".ci/run"), "utf8");
    const syntax = spawnSync("bash", ["-n", join(root, ".ci/run")], { encoding: "utf8" });
    expect(syntax.stderr).toBe("");
    expect(syntax.status).toBe(0);
    expect(run).toContain("done < .ci/debian-packages");
    for (const name of packages) expect(run, name).not.toMatch(new RegExp(`(^|[\\s(])${name.replace(/[.+]/g, "\\$&")}([\\s)]|$)`, "m"));
    // The tail of .ci/run is unchanged: npm ci, then npm test, whose summary is the last line.
    expect(run.trimEnd().split("\n").slice(-2)).toEqual(["npm ci --no-audit --no-fund", "npm test"]);
  });

  it("reads the same in .ci/run's loop as in the workflow's grep", () => {
    const run = readFileSync(join(root, ".ci/run"), "utf8");
    const loop = /^debian_packages=\(\)\n[\s\S]*?^done < \.ci\/debian-packages$/m.exec(run)![0];
    const fromRun = spawnSync("bash", ["-euo", "pipefail", "-c", `${loop}\nprintf '%s\\n' "\${debian_packages[@]}"`], { cwd: root, encoding: "utf8" });
    const fromWorkflow = spawnSync("bash", ["-c", "grep -v '^#' .ci/debian-packages | xargs printf '%s\\n'"], { cwd: root, encoding: "utf8" });
    expect(fromRun.stdout.trim().split("\n")).toEqual(packages);
    expect(fromWorkflow.stdout.trim().split("\n")).toEqual(packages);
  });
});
