// A local HTTP(S) server answering like the Kubernetes API for the calls `npm run verify` makes
// (not a Kubernetes: no storage semantics, no admission beyond what a test asks for):
// - discovery: GET /api/v1 and /apis/<group>/<version> (APIResourceList; 404 for a group the
//   "cluster" does not serve, as for Argo CD's without its CRDs);
// - GET of one object (404 Status when absent);
// - LIST per kind and namespace, paged by limit/continue, as PartialObjectMetadataList when the
//   Accept header asks for it (as kubectl's metadata-only lists do), else as a full <Kind>List;
// - server-side apply PATCH, dry-run only: it insists on dryRun=All, a fieldManager, force=false,
//   Content-Type application/apply-patch+yaml and a body naming the object of the URL, and answers
//   what the apply would store (or a test's rejection: 422 invalid, 409 conflict, 403 admission);
// - bearer-token authentication (401) and RBAC refusals a test configures (403 "cannot <verb> resource").
// Every request is recorded. A write that is not a dry-run (PATCH/POST/PUT/DELETE without
// dryRun=All) is refused and recorded in `writes`: tests assert that stays empty.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { parse } from "yaml";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const builtIn: ResourceType[] = [
  ["", "v1", "Namespace", "namespaces", false],
  ["", "v1", "ConfigMap", "configmaps", true],
  ["", "v1", "Endpoints", "endpoints", true],
  ["", "v1", "Event", "events", true],
  ["", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true],
  ["", "v1", "Pod", "pods", true],
  ["", "v1", "Secret", "secrets", true],
  ["", "v1", "Service", "services", true],
  ["", "v1", "ServiceAccount", "serviceaccounts", true],
  ["apps", "v1", "DaemonSet", "daemonsets", true],
  ["apps", "v1", "Deployment", "deployments", true],
  ["apps", "v1", "ReplicaSet", "replicasets", true],
  ["apps", "v1", "StatefulSet", "statefulsets", true],
  ["autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true],
  ["batch", "v1", "CronJob", "cronjobs", true],
  ["batch", "v1", "Job", "jobs", true],
  ["discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true],
  ["networking.k8s.io", "v1", "Ingress", "ingresses", true],
  ["networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true],
  ["policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true],
  ["rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false],
  ["rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false],
  ["rbac.authorization.k8s.io", "v1", "Role", "roles", true],
  ["rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true],
].map(([group, version, kind, plural, namespaced]) => ({ group, version, kind, plural, namespaced }) as ResourceType);

const argoCd: ResourceType[] = [
  { group: "argoproj.io", version: "v1alpha1", kind: "Application", plural: "applications", namespaced: true },
  { group: "argoproj.io", version: "v1alpha1", kind: "AppProject", plural: "appprojects", namespaced: true },
];

export const fakeUser = "verify-test";
export const fakeToken = "verify-test-token";

export interface Refusal {
  code: number;
  reason: string;
  message: string;
}

export interface FakeKubeApiOptions {
  /** The live objects. */
  objects: Json[];
  /** Whether Argo CD's CRDs are installed (default true). */
  argoCd?: boolean;
  /** RBAC refusals: 403 for this verb on this resource (plural), in any namespace or the one given. */
  forbid?: { verb: "get" | "list" | "patch"; resource: string; namespace?: string }[];
  /** A dry-run apply the "cluster" refuses (schema, admission, conflict), by object. */
  rejectApply?: (object: Json) => Refusal | undefined;
  /** Warning headers for a dry-run apply. */
  applyWarnings?: (object: Json) => string[];
  /** Items per list page at most, below the client's limit (default: the limit). */
  pageSize?: number;
  tls?: { cert: string; key: string };
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  accept?: string;
  authorization?: string;
  body?: string;
}

const groupVersion = (type: ResourceType) => (type.group === "" ? type.version : `${type.group}/${type.version}`);
const keyOf = (group: string, kind: string, namespace: string | undefined, name: string) => `${group}|${kind}|${namespace ?? ""}|${name}`;
const groupOfApiVersion = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0]! : "");

function status(code: number, reason: string, message: string): Json {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  /** Writes that were not dry-runs: must stay empty. */
  readonly writes: RecordedRequest[] = [];
  readonly objects = new Map<string, Json>();
  private readonly types: ResourceType[];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly options: FakeKubeApiOptions,
  ) {
    this.types = [...builtIn, ...(options.argoCd === false ? [] : argoCd)];
    for (const object of options.objects) this.objects.set(keyOf(groupOfApiVersion(object.apiVersion), object.kind, object.metadata.namespace, object.metadata.name), structuredClone(object));
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  static async start(options: FakeKubeApiOptions): Promise<FakeKubeApi> {
    let api: FakeKubeApi | undefined;
    const handler = (request: IncomingMessage, response: ServerResponse) => void api!.handle(request, response);
    const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createHttpServer(handler);
    api = new FakeKubeApi(server, options);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return api;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `${this.options.tls ? "https" : "http"}://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The recorded requests of one method whose path ends like `suffix` (after the API version). */
  requestsTo(method: string, pattern: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? "/", "http://fake");
    const recorded: RecordedRequest = {
      method: request.method ?? "",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: request.headers["content-type"],
      accept: request.headers.accept,
      authorization: request.headers.authorization,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks).toString("utf8") } : {}),
    };
    this.requests.push(recorded);
    const send = (code: number, body: Json, headers: Record<string, string> = {}) => {
      response.writeHead(code, { "Content-Type": "application/json", ...headers });
      response.end(JSON.stringify(body));
    };
    if (recorded.authorization !== `Bearer ${fakeToken}`) return send(401, status(401, "Unauthorized", "Unauthorized"));
    const isWrite = recorded.method !== "GET";
    if (isWrite && recorded.query.dryRun !== "All") {
      this.writes.push(recorded);
      return send(405, status(405, "MethodNotAllowed", "the fake Kubernetes API accepts dry-runs only"));
    }
    if (recorded.method !== "GET" && recorded.method !== "PATCH") {
      this.writes.push(recorded);
      return send(405, status(405, "MethodNotAllowed", `${recorded.method} is not a call verify makes`));
    }
    const route = this.route(url.pathname);
    if (route === undefined) return send(404, status(404, "NotFound", "the server could not find the requested resource"));
    if ("discovery" in route) return send(200, route.discovery);
    const { type, namespace, name } = route;
    const verb = recorded.method === "PATCH" ? "patch" : name === undefined ? "list" : "get";
    const refused = (this.options.forbid ?? []).find((rule) => rule.verb === verb && rule.resource === type.plural && (rule.namespace === undefined || rule.namespace === namespace));
    if (refused) {
      const where = namespace !== undefined ? ` in the namespace "${namespace}"` : " at the cluster scope";
      const resource = `${type.plural}${type.group ? `.${type.group}` : ""}`;
      return send(403, status(403, "Forbidden", `${resource}${name ? ` "${name}"` : ""} is forbidden: User "${fakeUser}" cannot ${verb} resource "${type.plural}" in API group "${type.group}"${where}`));
    }
    if (verb === "list") return send(200, this.list(type, namespace, recorded));
    const key = keyOf(type.group, type.kind, namespace, name!);
    if (verb === "get") {
      const object = this.objects.get(key);
      return object === undefined ? send(404, status(404, "NotFound", `${type.plural}${type.group ? `.${type.group}` : ""} "${name}" not found`)) : send(200, object);
    }
    return this.apply(type, key, namespace, name!, recorded, send);
  }

  private route(path: string): { discovery: Json } | { type: ResourceType; namespace?: string; name?: string } | undefined {
    const parts = path.split("/").filter((part) => part !== "");
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === "api" && parts.length >= 2) [group, version, rest] = ["", parts[1]!, parts.slice(2)];
    else if (parts[0] === "apis" && parts.length >= 3) [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
    else return undefined;
    const served = this.types.filter((type) => type.group === group && type.version === version);
    if (served.length === 0) return undefined;
    if (rest.length === 0) {
      const resources = served.map((type) => ({ name: type.plural, singularName: type.kind.toLowerCase(), namespaced: type.namespaced, kind: type.kind, verbs: ["get", "list", "patch"] }));
      return { discovery: { kind: "APIResourceList", apiVersion: "v1", groupVersion: groupVersion(served[0]!), resources } };
    }
    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
    const type = served.find((t) => t.plural === rest[0] && t.namespaced === (namespace !== undefined));
    if (type === undefined || rest.length > 2) return undefined;
    return { type, ...(namespace !== undefined ? { namespace } : {}), ...(rest[1] !== undefined ? { name: rest[1] } : {}) };
  }

  private list(type: ResourceType, namespace: string | undefined, recorded: RecordedRequest): Json {
    const items = [...this.objects.values()]
      .filter((object) => groupOfApiVersion(object.apiVersion) === type.group && object.kind === type.kind && object.metadata.namespace === namespace)
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    const size = Math.min(Number(recorded.query.limit ?? Infinity), this.options.pageSize ?? Infinity);
    const start = Number(recorded.query.continue ?? 0);
    const page = items.slice(start, start + size);
    const more = start + size < items.length ? { continue: String(start + size) } : {};
    if (recorded.accept?.includes("as=PartialObjectMetadataList")) {
      return { kind: "PartialObjectMetadataList", apiVersion: "meta.k8s.io/v1", metadata: { resourceVersion: "1", ...more }, items: page.map((object) => ({ kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: object.metadata })) };
    }
    return { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: { resourceVersion: "1", ...more }, items: page };
  }

  private apply(type: ResourceType, key: string, namespace: string | undefined, name: string, recorded: RecordedRequest, send: (code: number, body: Json, headers?: Record<string, string>) => void): void {
    if (recorded.contentType !== "application/apply-patch+yaml") return send(415, status(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml (got ${recorded.contentType})`));
    if (!recorded.query.fieldManager) return send(422, status(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"));
    if (recorded.query.force !== "false") return send(400, status(400, "BadRequest", `verify must not force (force=${recorded.query.force})`));
    // The body is YAML; verify sends JSON (a subset), read quickly before yaml takes any other form.
    let object: Json;
    try {
      object = JSON.parse(recorded.body ?? "") as Json;
    } catch {
      object = parse(recorded.body ?? "") as Json;
    }
    if (object?.kind !== type.kind || object.metadata?.name !== name || object.metadata?.namespace !== namespace) {
      return send(400, status(400, "BadRequest", "the name or kind of the object does not match the URL"));
    }
    const refusal = this.options.rejectApply?.(object);
    if (refusal) return send(refusal.code, status(refusal.code, refusal.reason, refusal.message));
    const current = this.objects.get(key);
    const warnings = this.options.applyWarnings?.(object) ?? [];
    const headers: Record<string, string> = warnings.length > 0 ? { Warning: warnings.map((text) => `299 - "${text.replace(/"/g, '\\"')}"`).join(", ") } : {};
    send(current === undefined ? 201 : 200, { ...object, metadata: { ...current?.metadata, ...object.metadata } }, headers);
  }
}
