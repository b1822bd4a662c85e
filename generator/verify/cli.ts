// npm run verify -- --env <name> [--context <name>] [--kubeconfig <file>] [--timeout <seconds>] [--format text|json]
//   Checks a live cluster against rendered/<env>/, read-only apart from dry-run:
//   1. dry-run: every object is applied server-side with dryRun=All (field manager
//      online-boutique-gitops-verify, no force); the cluster's schema and admission errors are
//      reported per object. Kinds the cluster does not serve (Argo CD's without its CRDs) are one line.
//   2. drift: fields Git sets whose live value differs (path, Git value, live value), objects
//      missing in the cluster, and objects in the environment's namespaces that Git does not
//      have (controller-owned ones aside); Secrets are listed apart, by name only: they are
//      created by hand (README "Secrets"), and only their metadata is ever read.
//   3. Argo CD: sync and health status of the environment's Applications.
//   The kubeconfig is --kubeconfig, else KUBECONFIG, else ~/.kube/config; the context is
//   --context, else the kubeconfig's current context.
// Exit codes: 0 everything matches · 1 drift, a dry-run error, a kind the cluster does not serve,
// or an Application not Synced and Healthy · 2 usage or configuration (unknown environment, no
// rendered tree, no kubeconfig, unknown context) · 3 the cluster could not be asked: unreachable,
// no answer within --timeout seconds (default 10, per request), TLS failure, credentials refused
// (401), a verb forbidden (403; the message names verb, resource and namespace); or rendered/
// was held by another run's lock for over a minute.
import { readingUnderRenderLock, renderedRoot, renderLockFile } from "../../core/render-lock";
import { existsSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { reportError, UserError } from "../../core/errors";
import { listEnvironments, loadEnvironment, type Environment } from "../../core/settings/load";
import { Cluster, type ApplyResult, type Served } from "./cluster";
import { fieldDrift, gitKey, isArgoHook, liveKey, notInGit, reportingKinds, type LiveEntry } from "./drift";
import { exitCodeOf, jsonReport, textReport, type ApplicationStatus, type NotServed, type ObjectMessage, type ObjectRef, type VerifyResult } from "./report";
import { readRenderedTree, type GitObject, type KubeObject } from "./tree";

const usage = "usage: npm run verify -- --env <name> [--context <name>] [--kubeconfig <file>] [--timeout <seconds>] [--format text|json] [--root <repo>]";

/** Requests in flight at once. */
const concurrency = 8;

/**
 * Kinds listed in our namespaces besides those Git has there: what people create by hand
 * (Pods and ReplicaSets too: without an owner, someone made them).
 */
const listedKinds: readonly (readonly [string, string])[] = [
  ["v1", "ConfigMap"],
  ["v1", "PersistentVolumeClaim"],
  ["v1", "Pod"],
  ["v1", "Secret"],
  ["v1", "Service"],
  ["apps/v1", "DaemonSet"],
  ["apps/v1", "Deployment"],
  ["apps/v1", "ReplicaSet"],
  ["apps/v1", "StatefulSet"],
  ["batch/v1", "CronJob"],
  ["batch/v1", "Job"],
];

interface CliResult {
  exitCode: number;
  output: string[];
}

/** Runs `work` over `items`, `limit` at a time; the first failure stops new work and is thrown once the running ones end. */
async function pooled<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}

function refOf(object: KubeObject): ObjectRef {
  return { apiVersion: object.apiVersion, kind: object.kind, ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}), name: object.metadata.name };
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.lastIndexOf("/")) : "";
}

/** Discovery of every kind verify touches: one request per API version first, the other kinds of it from the library's cache. */
async function discover(cluster: Cluster, kinds: readonly (readonly [string, string])[]): Promise<Map<string, Served>> {
  const firstOfVersion = new Map<string, readonly [string, string]>();
  for (const kind of kinds) if (!firstOfVersion.has(kind[0])) firstOfVersion.set(kind[0], kind);
  await pooled([...firstOfVersion.values()], concurrency, ([apiVersion, kind]) => cluster.served(apiVersion, kind));
  const served = new Map<string, Served>();
  for (const [apiVersion, kind] of kinds) served.set(`${apiVersion}|${kind}`, await cluster.served(apiVersion, kind));
  return served;
}

function uniqueKinds(pairs: readonly (readonly [string, string])[]): (readonly [string, string])[] {
  const seen = new Map<string, readonly [string, string]>();
  for (const pair of pairs) seen.set(`${pair[0]}|${pair[1]}`, pair);
  return [...seen.values()];
}

function applicationStatus(name: string, live: Record<string, unknown> | undefined): ApplicationStatus {
  if (live === undefined) return { name, found: false, sync: "Missing", health: "Missing" };
  const status = (live.status ?? {}) as { sync?: { status?: unknown }; health?: { status?: unknown } };
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : "Unknown");
  return { name, found: true, sync: text(status.sync?.status), health: text(status.health?.status) };
}

/** Asks the cluster everything and compares; throws ClusterError (exit 3) when it cannot be asked. */
async function inspect(cluster: Cluster, environment: Environment, git: readonly GitObject[], tree: string): Promise<VerifyResult> {
  const settings = environment.settings;
  const namespaces = [...new Set([settings.namespaces.app, settings.namespaces.monitoring])].sort();
  const objects = git.map((entry) => entry.object);

  // Git's kinds in our namespaces are listed too: a second NetworkPolicy or Role made by hand is drift.
  const gitKinds = uniqueKinds(objects.map((object) => [object.apiVersion, object.kind] as const));
  const ourKinds = uniqueKinds(objects.filter((object) => namespaces.includes(object.metadata.namespace ?? "")).map((object) => [object.apiVersion, object.kind] as const));
  const served = await discover(cluster, uniqueKinds([...gitKinds, ...listedKinds]));
  const isServed = (object: KubeObject) => served.get(`${object.apiVersion}|${object.kind}`)?.served === true;

  const notServed = new Map<string, NotServed>();
  for (const object of objects.filter((o) => !isServed(o))) {
    const answer = served.get(`${object.apiVersion}|${object.kind}`) as { served: false; reason: string };
    const entry = notServed.get(object.apiVersion) ?? { apiVersion: object.apiVersion, kinds: [], objects: 0, reason: answer.reason };
    if (!entry.kinds.includes(object.kind)) entry.kinds.push(object.kind);
    entry.objects++;
    notServed.set(object.apiVersion, entry);
  }

  // Per object: the dry-run, then the live object.
  const checked = objects.filter(isServed);
  const outcomes = await pooled(checked, concurrency, async (object) => {
    const apply: ApplyResult = await cluster.dryRunApply(object);
    const live = await cluster.get(refOf(object));
    return { object, apply, live };
  });

  // Every object of the listed kinds in our namespaces, by name (a group's kind is listed once, in the version Git uses).
  const byGroupKind = new Map<string, readonly [string, string]>();
  for (const pair of [...ourKinds, ...listedKinds]) {
    const key = `${groupOf(pair[0])}|${pair[1]}`;
    const answer = served.get(`${pair[0]}|${pair[1]}`);
    if (!byGroupKind.has(key) && !reportingKinds.has(pair[1]) && answer?.served === true && answer.namespaced) byGroupKind.set(key, pair);
  }
  const lists = [...byGroupKind.values()].flatMap(([apiVersion, kind]) => namespaces.map((namespace) => ({ apiVersion, kind, namespace })));
  const live: LiveEntry[] = (await pooled(lists, concurrency, (list) => cluster.list(list.apiVersion, list.kind, list.namespace))).flat();
  const extra = notInGit(live, objects);

  const rejected: ObjectMessage[] = [];
  const warnings: ObjectMessage[] = [];
  const changed: VerifyResult["drift"]["changed"] = [];
  const missing: ObjectRef[] = [];
  const hooksAbsent: ObjectRef[] = [];
  const liveByKey = new Map<string, Record<string, unknown>>();
  for (const { object, apply, live: current } of outcomes) {
    if (apply.accepted) for (const message of apply.warnings) warnings.push({ ...refOf(object), message });
    else rejected.push({ ...refOf(object), code: apply.code, message: apply.message });
    if (current === undefined) (isArgoHook(object) ? hooksAbsent : missing).push(refOf(object));
    else {
      liveByKey.set(gitKey(object), current);
      const fields = fieldDrift(object, current);
      if (fields.length > 0) changed.push({ ...refOf(object), fields });
    }
  }

  // The environment's Applications: those of the rendered argocd folder, in the Argo CD namespace.
  const argoNamespace = settings.argocd.namespace;
  const applications = git.filter((entry) => entry.file.startsWith("argocd/") && entry.object.kind === "Application" && entry.object.apiVersion.startsWith("argoproj.io/"));
  let argocd: VerifyResult["argocd"] = { namespace: argoNamespace, applications: [] };
  const applicationKind = applications[0] === undefined ? undefined : served.get(`${applications[0].object.apiVersion}|Application`);
  if (applicationKind !== undefined && !applicationKind.served) {
    argocd = { namespace: argoNamespace, applications: [], notChecked: `${applicationKind.reason} (Argo CD's CRDs are not installed)` };
  } else {
    const statuses = await pooled(applications, concurrency, async ({ object }) => {
      const target = { apiVersion: object.apiVersion, kind: "Application", namespace: argoNamespace, name: object.metadata.name };
      const current = liveByKey.get(liveKey(target)) ?? (await cluster.get(target));
      return applicationStatus(object.metadata.name, current);
    });
    argocd = { namespace: argoNamespace, applications: statuses };
  }

  const names = (entry: LiveEntry): ObjectRef => ({ apiVersion: entry.apiVersion, kind: entry.kind, namespace: entry.namespace, name: entry.name });
  return {
    environment: environment.name,
    context: cluster.context,
    server: cluster.server,
    tree,
    objects: objects.length,
    namespaces,
    dryRun: { accepted: outcomes.filter((outcome) => outcome.apply.accepted).length, rejected, notServed: [...notServed.values()], warnings },
    drift: { changed, missing, hooksAbsent, notInGit: extra.objects.map(names), secretsNotInGit: extra.secrets.map(names) },
    argocd,
  };
}

/** `env` is the environment the kubeconfig is found with (KUBECONFIG, HOME): injectable for tests. */
export async function runVerify(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      env: { type: "string" },
      context: { type: "string" },
      kubeconfig: { type: "string" },
      timeout: { type: "string", default: "10" },
      format: { type: "string", default: "text" },
      root: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return { exitCode: 0, output: [usage] };
  if (values.format !== "text" && values.format !== "json") throw new UserError(`--format ${values.format}: expected text or json`, 2);
  const timeout = Number(values.timeout);
  if (!/^\d+(\.\d+)?$/.test(values.timeout!) || !(timeout > 0) || timeout > 600) throw new UserError(`--timeout ${values.timeout}: expected seconds, more than 0 and at most 600`, 2);
  const repoRoot = resolve(values.root ?? process.cwd());
  const environmentsDir = join(repoRoot, "environments");
  const known = listEnvironments(environmentsDir);
  if (values.env === undefined) throw new UserError(`--env <name> is required (environments/ has: ${known.join(", ")})`, 2);
  if (!known.includes(values.env)) throw new UserError(`--env ${values.env}: no such environment (environments/ has: ${known.join(", ")})`, 2);
  const environment = loadEnvironment(environmentsDir, values.env, repoRoot);
  const treeDir = join(repoRoot, renderedRoot, values.env);
  const shownTree = relative(repoRoot, treeDir).split(sep).join("/");
  // Read holding the render lock, so a render running meanwhile cannot swap the tree out mid-read.
  const git = readingUnderRenderLock(
    renderLockFile(repoRoot, renderedRoot),
    () => {
      if (!existsSync(treeDir)) throw new UserError(`${shownTree}: missing (run \`npm run render\` first)`, 2);
      return readRenderedTree(treeDir, shownTree);
    },
    { waiter: "verify", doing: "verify run", onWait: (line) => console.error(line) },
  );

  const cluster = await Cluster.connect({ file: values.kubeconfig, context: values.context, env }, timeout);
  const result = await inspect(cluster, environment, git, shownTree);
  return { exitCode: exitCodeOf(result), output: [values.format === "json" ? jsonReport(result) : textReport(result)] };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const result = await runVerify(argv, env);
    for (const line of result.output) console.log(line);
    return result.exitCode;
  } catch (error) {
    return reportError("verify", usage, error);
  }
}
