// The calls `npm run verify` makes to a cluster, through @kubernetes/client-node (1.4): the
// kubeconfig (files, context, credentials, TLS), discovery, and the library's request pipeline.
// Read-only apart from dry-run: discovery GETs, a server-side apply PATCH with dryRun=All per
// object, a GET per object, a metadata-only LIST per kind and namespace. Nothing else.
//
// Objects travel as the JSON the API server reads and writes. The library's patch() and read()
// pass bodies through its typed models, which in 1.4 lose fields: a NetworkPolicy's
// spec.ingress[].from is the model's `_from`, so patch() would send every ingress rule without
// its peers and read() would report them missing. So the requests are built here as the library
// builds them (its discovery, paths, authentication and transport, via KubernetesObjectApi's
// protected helpers), with the plain object as the body and the parsed JSON as the answer.
//
// Lists ask for PartialObjectMetadataList: names and owners only, so no Secret's data is ever
// read. The library is loaded on first use (connect()), so `--help` and usage errors start fast.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import type { KubeConfig, RequestContext, ResponseContext, V1APIResource } from "@kubernetes/client-node";
import { isError, UserError } from "../../core/errors";
import type { LiveEntry } from "./drift";
import type { KubeObject } from "./tree";

export const fieldManager = "online-boutique-gitops-verify";
const metadataOnly = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;q=0.9";
const applyPatch = "application/apply-patch+yaml";
const pageSize = 500;

/** The cluster could not be asked: unreachable, too slow, TLS, credentials refused, a verb forbidden (exit 3). */
export class ClusterError extends UserError {
  constructor(message: string) {
    super(message, 3);
    this.name = "ClusterError";
  }
}

export interface KubeconfigChoice {
  /** --kubeconfig; else KUBECONFIG; else ~/.kube/config. */
  file?: string;
  /** --context; else the current context. */
  context?: string;
  env: NodeJS.ProcessEnv;
}

export type Served = { served: true; resource: string; namespaced: boolean } | { served: false; reason: string };

export type ApplyResult = { accepted: true; warnings: string[] } | { accepted: false; code: number; message: string };

interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** The kubeconfig files in the order kubectl reads them. */
function kubeconfigFiles(choice: KubeconfigChoice): string[] {
  if (choice.file !== undefined) {
    if (!existsSync(choice.file)) throw new UserError(`--kubeconfig ${choice.file}: no such file`, 2);
    return [choice.file];
  }
  const fromEnv = (choice.env.KUBECONFIG ?? "").split(delimiter).filter((file) => file !== "");
  if (fromEnv.length > 0) {
    // kubectl skips files of the list that do not exist; all missing is no kubeconfig at all.
    const present = fromEnv.filter((file) => existsSync(file));
    if (present.length === 0) throw new UserError(`no kubeconfig: KUBECONFIG=${choice.env.KUBECONFIG} names no existing file`, 2);
    return present;
  }
  const home = choice.env.HOME ?? choice.env.USERPROFILE ?? homedir();
  const file = join(home, ".kube", "config");
  if (!existsSync(file)) throw new UserError(`no kubeconfig: KUBECONFIG is not set and ${file} does not exist (pass --kubeconfig <file>)`, 2);
  return [file];
}

function firstLine(error: unknown): string {
  return (isError(error) ? error.message : String(error)).split("\n")[0]!;
}

type ClientNode = typeof import("@kubernetes/client-node");

/** The files merged as kubectl merges them: the first file that names a cluster, user or context wins. */
function loadKubeconfig(k8s: ClientNode, files: string[]): KubeConfig {
  const loaded = files.map((file) => {
    const config = new k8s.KubeConfig();
    try {
      config.loadFromFile(file);
    } catch (error) {
      throw new UserError(`${file}: not a valid kubeconfig: ${firstLine(error)}`, 2);
    }
    return config;
  });
  if (loaded.length === 1) return loaded[0]!;
  const firstOf = <T extends { name: string }>(lists: T[][]) => {
    const seen = new Map<string, T>();
    for (const item of lists.flat()) if (!seen.has(item.name)) seen.set(item.name, item);
    return [...seen.values()];
  };
  const merged = new k8s.KubeConfig();
  merged.loadFromOptions({
    clusters: firstOf(loaded.map((c) => c.getClusters())),
    users: firstOf(loaded.map((c) => c.getUsers())),
    contexts: firstOf(loaded.map((c) => c.getContexts())),
    currentContext: loaded.map((c) => c.getCurrentContext()).find((name) => name !== undefined && name !== ""),
  });
  return merged;
}

/** node-fetch's errors for a server that could not be reached, or answered with a certificate we do not trust. */
function unreachable(error: unknown, server: string, timeoutSeconds: number): ClusterError | undefined {
  const fault = error as { name?: string; type?: string; code?: string; message?: string };
  if (fault.name === "AbortError") return new ClusterError(`${server}: no answer within ${timeoutSeconds} s (--timeout)`);
  if (fault.name !== "FetchError" || typeof fault.code !== "string") return undefined;
  const reason = (fault.message ?? "").split("reason: ").pop()!;
  const tls = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_SSL|ERR_TLS|EPROTO/.test(fault.code);
  if (tls) return new ClusterError(`${server}: TLS failure: ${reason} (${fault.code}); check the cluster's certificate-authority in the kubeconfig`);
  if (fault.code === "ECONNREFUSED") return new ClusterError(`${server}: connection refused (is the API server running, is this the right context?)`);
  if (fault.code === "ENOTFOUND" || fault.code === "EAI_AGAIN") return new ClusterError(`${server}: host not found (${fault.code})`);
  return new ClusterError(`${server}: cannot connect: ${reason} (${fault.code})`);
}

/** The API's own message from an error answer (a Status object), else the start of the body. */
function apiMessage(body: unknown, code: number): string {
  if (typeof body === "string") {
    try {
      const status = JSON.parse(body) as { message?: unknown };
      if (typeof status.message === "string" && status.message !== "") return status.message;
    } catch {
      // not JSON (a proxy's error page): its first line says more than nothing
    }
    const text = body.trim().split("\n")[0]!.slice(0, 200);
    if (text !== "") return `HTTP ${code}: ${text}`;
  }
  return `HTTP ${code}`;
}

/** RBAC's refusal ("User "x" cannot patch resource ..."); admission can answer 403 too (quota, Pod Security). */
const rbacRefusal = / cannot [a-z]+ resource /;

export class Cluster {
  private readonly resources = new Map<string, Promise<Served>>();

  private constructor(
    private readonly k8s: ClientNode,
    private readonly api: VerifyApi,
    readonly context: string,
    readonly server: string,
    private readonly user: string,
    private readonly timeoutSeconds: number,
  ) {}

  /** Loads the kubeconfig and selects the context; exit 2 for anything wrong with them (no request is made). */
  static async connect(choice: KubeconfigChoice, timeoutSeconds: number): Promise<Cluster> {
    const files = kubeconfigFiles(choice);
    const k8s = await import("@kubernetes/client-node");
    const config = loadKubeconfig(k8s, files);
    const shown = files.join(delimiter);
    const contexts = config.getContexts().map((c) => c.name);
    const available = contexts.length > 0 ? `contexts: ${contexts.join(", ")}` : "it has no contexts";
    const name = choice.context ?? config.getCurrentContext();
    if (name === undefined || name === "") throw new UserError(`${shown}: no current context; pass --context <name> (${available})`, 2);
    const context = config.getContextObject(name);
    if (context === null) throw new UserError(`${choice.context !== undefined ? "--context " : "current context "}${name}: no such context in ${shown} (${available})`, 2);
    config.setCurrentContext(name);
    const cluster = config.getCurrentCluster();
    if (cluster === null) throw new UserError(`context ${name} names cluster ${context.cluster}, which ${shown} does not define`, 2);
    if (cluster.server.startsWith("http:") && !cluster.skipTLSVerify) {
      throw new UserError(`cluster ${cluster.name} (server ${cluster.server}): @kubernetes/client-node talks plain http only with insecure-skip-tls-verify: true`, 2);
    }
    // Every request, discovery included, gives up after --timeout seconds.
    const withTimeout = {
      pre: async (request: RequestContext) => {
        request.setSignal(AbortSignal.timeout(timeoutSeconds * 1000));
        return request;
      },
      post: async (response: ResponseContext) => response,
    };
    // What KubeConfig.makeApiClient builds, plus the timeout.
    const configuration = k8s.createConfiguration({ baseServer: new k8s.ServerConfiguration(cluster.server, {}), authMethods: { default: config }, promiseMiddleware: [withTimeout] });
    const api = new (verifyApiClass(k8s))(configuration);
    return new Cluster(k8s, api, name, cluster.server, context.user, timeoutSeconds);
  }

  /** A failure of the cluster call `what` ("list secrets in namespace x") as the error verify reports. */
  private failure(error: unknown, what: string): Error {
    const network = unreachable(error, this.server, this.timeoutSeconds);
    if (network !== undefined) return network;
    if (error instanceof this.k8s.ApiException) {
      const code = error.code as number;
      const message = apiMessage(error.body, code);
      if (code === 401) return new ClusterError(`${what}: unauthorized (401): the API server did not accept the credentials of context ${this.context} (user ${this.user})`);
      if (code === 403) return new ClusterError(`${what}: forbidden (403): ${message}`);
      return new ClusterError(`${what}: ${message}`);
    }
    if (error instanceof UserError) return error;
    // The library's own failures before a request (an exec credential plugin, a certificate file).
    return new ClusterError(`${what}: ${firstLine(error)}`);
  }

  /** Whether the cluster serves apiVersion/kind (discovery, asked once per kind). */
  served(apiVersion: string, kind: string): Promise<Served> {
    const key = `${apiVersion}|${kind}`;
    let answer = this.resources.get(key);
    if (answer === undefined) {
      answer = this.discover(apiVersion, kind);
      this.resources.set(key, answer);
    }
    return answer;
  }

  private async discover(apiVersion: string, kind: string): Promise<Served> {
    let resource: V1APIResource | undefined;
    try {
      resource = await this.api.discover(apiVersion, kind);
    } catch (error) {
      if (error instanceof this.k8s.ApiException && error.code === 404) return { served: false, reason: `the cluster does not serve ${apiVersion}` };
      throw this.failure(error, `discovery of ${apiVersion}`);
    }
    if (resource === undefined) return { served: false, reason: `${apiVersion} has no kind ${kind}` };
    return { served: true, resource: resource.name, namespaced: resource.namespaced };
  }

  private async describe(verb: string, ref: ObjectRef): Promise<string> {
    const served = await this.served(ref.apiVersion, ref.kind);
    const group = ref.apiVersion.includes("/") ? `.${ref.apiVersion.slice(0, ref.apiVersion.lastIndexOf("/"))}` : "";
    const resource = served.served ? `${served.resource}${group}` : ref.kind;
    return `${verb} ${resource}${ref.namespace ? ` in namespace ${ref.namespace}` : ""}`;
  }

  /** Server-side apply with dryRun=All, force=false: what the API server (schema, admission) says to the Git object. */
  async dryRunApply(object: KubeObject): Promise<ApplyResult> {
    try {
      const answer = await this.api.send("PATCH", ref(object), { dryRun: "All", fieldManager, force: "false" }, { contentType: applyPatch, body: JSON.stringify(object) });
      return { accepted: true, warnings: answer.warnings };
    } catch (error) {
      if (error instanceof this.k8s.ApiException) {
        const code = error.code as number;
        const message = apiMessage(error.body, code);
        // Refusals of the object (invalid 422, conflict 409, admission 400/403/500, namespace 404)
        // are findings; refusals of us (401, RBAC's 403) mean the cluster could not be asked.
        if (code !== 401 && !(code === 403 && rbacRefusal.test(message))) return { accepted: false, code, message };
      }
      throw this.failure(error, await this.describe("patch", ref(object)));
    }
  }

  /** The live object, undefined when it does not exist. */
  async get(target: ObjectRef): Promise<Record<string, unknown> | undefined> {
    try {
      return (await this.api.send("GET", target, {}, {})).body as Record<string, unknown>;
    } catch (error) {
      if (error instanceof this.k8s.ApiException && error.code === 404) return undefined;
      throw this.failure(error, await this.describe("get", target));
    }
  }

  /** Names and owners of every object of a kind in a namespace (metadata only, page by page). */
  async list(apiVersion: string, kind: string, namespace: string): Promise<LiveEntry[]> {
    const entries: LiveEntry[] = [];
    let token: string | undefined;
    do {
      let page: { items?: { metadata?: { name?: string; ownerReferences?: unknown[] } }[]; metadata?: { continue?: string } };
      try {
        const query: Record<string, string> = { limit: String(pageSize), ...(token !== undefined ? { continue: token } : {}) };
        page = (await this.api.send("LIST", { apiVersion, kind, namespace, name: "" }, query, { accept: metadataOnly })).body as typeof page;
      } catch (error) {
        throw this.failure(error, await this.describe("list", { apiVersion, kind, namespace, name: "" }));
      }
      for (const item of page.items ?? []) {
        const name = item.metadata?.name;
        if (typeof name === "string") entries.push({ apiVersion, kind, namespace, name, owned: (item.metadata?.ownerReferences?.length ?? 0) > 0 });
      }
      token = page.metadata?.continue || undefined;
    } while (token !== undefined);
    return entries;
  }
}

function ref(object: KubeObject): ObjectRef {
  return { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name };
}

interface Answer {
  body: unknown;
  /** The API server's Warning headers (deprecations, Pod Security "would violate"). */
  warnings: string[];
}

interface VerifyApi {
  discover(apiVersion: string, kind: string): Promise<V1APIResource | undefined>;
  send(method: "GET" | "LIST" | "PATCH", target: ObjectRef, query: Record<string, string>, options: { contentType?: string; accept?: string; body?: string }): Promise<Answer>;
}

/** Warning headers: `299 - "text"`, several joined by commas. */
function warningTexts(header: string | undefined): string[] {
  if (header === undefined) return [];
  return [...header.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!.replace(/\\(.)/g, "$1"));
}

/** KubernetesObjectApi with plain-JSON requests (see the header); the class exists once the library is loaded. */
function verifyApiClass(k8s: ClientNode): new (configuration: ReturnType<ClientNode["createConfiguration"]>) => VerifyApi {
  return class extends k8s.KubernetesObjectApi implements VerifyApi {
    discover(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
      return this.resource(apiVersion, kind);
    }

    async send(method: "GET" | "LIST" | "PATCH", target: ObjectRef, query: Record<string, string>, options: { contentType?: string; accept?: string; body?: string }): Promise<Answer> {
      const spec = { apiVersion: target.apiVersion, kind: target.kind, metadata: { name: target.name, namespace: target.namespace } };
      const path = await this.specUriPath(spec, method === "LIST" ? "list" : method === "PATCH" ? "patch" : "read");
      const request = this.configuration.baseServer.makeRequestContext(path, method === "PATCH" ? k8s.HttpMethod.PATCH : k8s.HttpMethod.GET);
      request.setHeaderParam("Accept", options.accept ?? "application/json");
      for (const [name, value] of Object.entries(query)) request.setQueryParam(name, value);
      if (options.contentType !== undefined) request.setHeaderParam("Content-Type", options.contentType);
      if (options.body !== undefined) request.setBody(options.body);
      return this.requestPromise(request) as unknown as Promise<Answer>;
    }

    /**
     * send()'s answers as the API server sent them; the library's own calls (discovery, which
     * names the type it expects) keep its typed deserialization.
     */
    protected override async processResponse<T>(response: ResponseContext, type?: string): Promise<T> {
      if (type !== undefined) return super.processResponse(response, type) as Promise<T>;
      const text = await response.body.text();
      if (response.httpStatusCode < 200 || response.httpStatusCode > 299) throw new k8s.ApiException(response.httpStatusCode, "Unsuccessful HTTP Request", text, response.headers);
      const answer: Answer = { body: JSON.parse(text) as unknown, warnings: warningTexts(response.headers.warning) };
      return answer as T;
    }
  } as unknown as new (configuration: ReturnType<ClientNode["createConfiguration"]>) => VerifyApi;
}

