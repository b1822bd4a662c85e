// npm run bench [-- --runs 21]
// Median wall time of a full render of every environment and of a policy run (each a separate
// process: the CLI bundle directly, and `npm run render|policy` as the user types them, in a
// scratch copy of the repo), next to a kustomize build measured in the same run, interleaved so
// all see the same machine load; how the policy run scales with 10× the objects; and a fleet of
// 20 environments, where start-up is amortised.
// The baseline needs only kubectl (its built-in kustomize) or a kustomize binary ($KUSTOMIZE): a
// kustomization made at run time from our own rendered/prod (same objects, labels and an
// annotation added by kustomize's transformers). Upstream Online Boutique's base is timed too
// where a developer checkout has it (../shared/baselines); nothing else needs that folder.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { listFiles } from "./output";
import { cliBundlePaths, cliNodeArgs } from "./cli-command.mjs";
import { argv, chalk } from "zx";

const repoRoot = resolve(import.meta.dirname, "..");
const upstreamBaselineDir = resolve(repoRoot, "..", "shared", "baselines", "online-boutique-kustomize");
const runs = Number(argv.runs ?? 21);

interface Command {
  label: string;
  file: string;
  args: string[];
  before?: () => void;
  /** Exit codes that count as a normal run (policy exits 1 when it has findings). */
  okStatus?: number[];
}

function timeOnce(command: Command): number {
  command.before?.();
  const start = process.hrtime.bigint();
  const result = spawnSync(command.file, command.args, { encoding: "utf8" });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (!(command.okStatus ?? [0]).includes(result.status ?? -1)) throw new Error(`${command.label} failed (exit ${result.status}):\n${result.stderr}`);
  return elapsed;
}

/** rendered/prod copied ten times into one tree, each copy in its own namespace: 10× the objects. */
function scaledTree(scratch: string, copies: number): { dir: string; objects: number } {
  const source = join(repoRoot, "rendered", "prod");
  const dir = join(scratch, "scaled-prod");
  let objects = 0;
  for (let copy = 0; copy < copies; copy++) {
    for (const file of listFiles(source, source)) {
      const text = readFileSync(join(source, file), "utf8").replaceAll("microservices-demo", `microservices-demo-${copy}`);
      const target = join(dir, `copy-${copy}`, file);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
      objects++;
    }
  }
  return { dir, objects };
}

/**
 * A fleet: dev, prod and `copies` more environments copied from prod (each its own folder, as a
 * platform team with many clusters would have), rendered once untimed so timed runs are up to date.
 */
function fleetRepo(scratch: string, copies: number): { root: string; environments: number; objects: number } {
  const root = join(scratch, "fleet");
  cpSync(join(repoRoot, "environments"), join(root, "environments"), { recursive: true });
  for (let i = 1; i <= copies; i++) cpSync(join(repoRoot, "environments", "prod"), join(root, "environments", `fleet-${String(i).padStart(2, "0")}`), { recursive: true });
  return { root, environments: copies + 2, objects: 0 };
}

/** A kustomization over rendered/prod's objects, made for the baseline: kustomize reads, transforms and prints them. */
function kustomizeFixture(scratch: string): { dir: string; objects: number } {
  const source = join(repoRoot, "rendered", "prod");
  const dir = join(scratch, "kustomize-baseline");
  const resources = listFiles(source, source).filter((file) => file.endsWith(".yaml"));
  for (const file of resources) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(source, file), join(dir, file));
  }
  const kustomization = ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization", "labels:", "  - pairs:", "      app.kubernetes.io/instance: bench", "commonAnnotations:", "  bench.example.com/baseline: kustomize", "resources:", ...resources.map((file) => `  - ${file}`)];
  writeFileSync(join(dir, "kustomization.yaml"), `${kustomization.join("\n")}\n`);
  return { dir, objects: resources.length };
}

/** How to run kustomize here: $KUSTOMIZE (a kustomize binary), else kubectl's built-in one, else undefined. */
function kustomizeCommand(): { file: string; args: (dir: string) => string[]; name: string } | undefined {
  const standalone = process.env.KUSTOMIZE;
  if (standalone && spawnSync(standalone, ["version"]).status === 0) return { file: standalone, args: (dir) => ["build", dir], name: "kustomize build" };
  if (spawnSync("kubectl", ["version", "--client"]).status === 0) return { file: "kubectl", args: (dir) => ["kustomize", dir], name: "kubectl kustomize" };
  return undefined;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), min: sorted[0]!, p90: at(0.9) };
}

const format = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;

function main(): void {
  for (const bundle of Object.values(cliBundlePaths)) if (!existsSync(join(repoRoot, bundle))) throw new Error(`${bundle} missing: run \`npm run build\` first`);
  // Scratch copy inside the repo: same filesystem as a real render (here /tmp writes are several times slower).
  const scratch = mkdtempSync(join(repoRoot, ".bench-"));
  try {
    cpSync(join(repoRoot, "environments"), join(scratch, "environments"), { recursive: true });
    // Each timed run of this one renders into a fresh copy without rendered/ (prepared untimed):
    // every file is written. Copies are removed at the end, and the disk's pending writes (the
    // previous runs' files) are flushed before each run, so a run does not pay for the last one.
    const fresh: string[] = [];
    const render: Command = {
      label: "render, every file written",
      file: process.execPath,
      args: [],
      before() {
        const root = mkdtempSync(join(scratch, "fresh-"));
        cpSync(join(repoRoot, "environments"), join(root, "environments"), { recursive: true });
        fresh.push(root);
        spawnSync("sync");
        this.args = [...cliNodeArgs("render", repoRoot), "--root", root];
      },
    };
    const rerender: Command = { label: "render, tree already up to date", file: process.execPath, args: [...cliNodeArgs("render", repoRoot), "--root", scratch] };
    const check: Command = { label: "render --check", file: process.execPath, args: [...cliNodeArgs("render", repoRoot), "--root", scratch, "--check"] };
    const policy: Command = { label: "policy, all environments", file: process.execPath, args: [...cliNodeArgs("policy", repoRoot), "--root", scratch] };
    const scaled = scaledTree(scratch, 10);
    const policyScaled: Command = { label: `policy, 10× objects (${scaled.objects} files, one tree)`, file: process.execPath, args: [...cliNodeArgs("policy", repoRoot), "--root", scratch, "--env", "prod", scaled.dir], okStatus: [0, 1] };
    const fleet = fleetRepo(scratch, 18);
    const fleetRender: Command = { label: `fleet render, up to date (${fleet.environments} envs)`, file: process.execPath, args: [...cliNodeArgs("render", repoRoot), "--root", fleet.root] };
    const fleetPolicy: Command = { label: `fleet policy (${fleet.environments} envs)`, file: process.execPath, args: [...cliNodeArgs("policy", repoRoot), "--root", fleet.root] };
    const npmRender: Command = { label: "npm run render (as typed, up to date)", file: "npm", args: ["run", "-s", "render", "--", "--root", scratch] };
    const npmPolicy: Command = { label: "npm run policy (as typed)", file: "npm", args: ["run", "-s", "policy", "--", "--root", scratch] };
    const commands = [render, rerender, check, policy, policyScaled, npmRender, npmPolicy, fleetRender, fleetPolicy];
    const kustomize = kustomizeCommand();
    const fixture = kustomizeFixture(scratch);
    const baseline: Command | undefined = kustomize && { label: `baseline: ${kustomize.name} (prod's ${fixture.objects} objects)`, file: kustomize.file, args: kustomize.args(fixture.dir) };
    if (baseline) commands.push(baseline);
    else console.log(chalk.yellow("no kustomize baseline: install kubectl (it includes kustomize) or set KUSTOMIZE to a kustomize binary; printing our numbers only"));
    const upstream: Command | undefined = kustomize && existsSync(upstreamBaselineDir) ? { label: `${kustomize.name} (upstream base + netpols, 48 objects)`, file: kustomize.file, args: kustomize.args(upstreamBaselineDir) } : undefined;
    if (upstream) commands.push(upstream);

    const fleetSummary = spawnSync(process.execPath, [...cliNodeArgs("render", repoRoot), "--root", fleet.root], { encoding: "utf8" }).stdout.trim().split("\n");
    fleet.objects = fleetSummary.filter((line) => / objects,/.test(line)).reduce((sum, line) => sum + Number(/: (\d+) objects/.exec(line)![1]), 0);
    const summary = spawnSync(process.execPath, [...cliNodeArgs("render", repoRoot), "--root", scratch], { encoding: "utf8" }).stdout.trim();
    console.log(`${summary.split("\n").join("\n")}\n${runs} runs each (interleaved, 2 warm-up runs discarded)\n`);
    const samples = new Map(commands.map((c) => [c, [] as number[]]));
    for (let i = 0; i < runs + 2; i++) {
      for (const command of commands) {
        const elapsed = timeOnce(command);
        if (i >= 2) samples.get(command)!.push(elapsed);
      }
    }
    console.log(`${"".padEnd(56)}${"median".padStart(10)}${"min".padStart(10)}${"p90".padStart(10)}`);
    for (const command of commands) {
      const s = stats(samples.get(command)!);
      console.log(`${command.label.padEnd(56)}${format(s.median)}${format(s.min)}${format(s.p90)}`);
    }
    const scale = stats(samples.get(policyScaled)!).median / stats(samples.get(policy)!).median;
    console.log(`\npolicy: 10× the objects of prod take ${scale.toFixed(1)}× the time of both environments (target ≤ 300 ms for the repository: ${stats(samples.get(policy)!).median.toFixed(0)} ms)`);
    const fleetMs = stats(samples.get(fleetRender)!).median;
    console.log(`fleet: ${fleet.objects} objects rendered (up to date) in ${fleetMs.toFixed(0)} ms = ${((fleet.objects / fleetMs) * 1000).toFixed(0)} objects/s; policy over the fleet ${stats(samples.get(fleetPolicy)!).median.toFixed(0)} ms (target ≤ 1,700 ms)`);
    if (baseline) {
      const kustomizeMs = stats(samples.get(baseline)!).median;
      const kustomizeRate = fixture.objects / kustomizeMs;
      console.log(`fleet objects/s ÷ kustomize objects/s (${fixture.objects} objects) = ${(fleet.objects / fleetMs / kustomizeRate).toFixed(2)}× (target ≥ 4.5×)`);
      // Our render builds, validates and writes both environments; kustomize transforms and prints one.
      const ratio = stats(samples.get(rerender)!).median / kustomizeMs;
      const verdict = ratio <= 1 ? chalk.green("at or under 1×") : ratio <= 2 ? chalk.green("within 2×") : chalk.red("over 2×");
      console.log(`\nrender of both environments (up to date) / kustomize of prod's ${fixture.objects} objects = ${ratio.toFixed(2)}× — ${verdict}`);
    }
    if (upstream) {
      // The target of issue #10: the whole render against kustomize of upstream's 48-object base.
      const ratio = stats(samples.get(rerender)!).median / stats(samples.get(upstream)!).median;
      console.log(`render of both environments (up to date) / kustomize of upstream's 48 objects = ${ratio.toFixed(2)}× — ${ratio <= 2 ? chalk.green("within the 2× target") : chalk.red("over the 2× target")}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
