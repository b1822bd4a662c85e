// The workload builders the monitoring and traffic apps will use, specified on records made for
// this test (the contract's workloads module is extended with them): every object they build
// passes schema and strict validation and the policy rules, and a module that disagrees with
// its record fails loudly.
import { describe, expect, it, vi } from "vitest";
import type { WorkloadRecord } from "../core/contract/types";

vi.mock("../core/contract/workloads", async (importOriginal) => {
  const original = await importOriginal<typeof import("../core/contract/workloads")>();
  const small = { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } };
  const testRecords: Record<string, WorkloadRecord> = {
    "node-agent": {
      namespace: "monitoring",
      group: "platform",
      kind: "DaemonSet",
      containers: { agent: { image: { pinned: "quay.io/prometheus/node-exporter:v1.12.1" }, resources: small, ports: ["metrics"] } },
      ports: { metrics: { port: 9100, metrics: true } },
      hostAccess: { hostNetwork: "reads the node's network statistics", hostPID: "sees every process of the node", hostPaths: { volumes: { "host-proc": "/proc" }, reason: "reads the node's /proc" } },
    },
    "nightly-report": { namespace: "app", group: "data", kind: "CronJob", containers: { report: { image: { pinned: "busybox:1.37.0" }, resources: small } }, volumeClaims: { "report-output": "1Gi" } },
    "first-run": { namespace: "app", group: "data", kind: "Job", containers: { run: { image: { pinned: "busybox:1.37.0" }, resources: small } } },
    "api-reader": { namespace: "monitoring", group: "platform", kind: "Deployment", usesKubernetesApi: true, containers: { reader: { image: { pinned: "busybox:1.37.0" }, resources: small } } },
    "api-job": { namespace: "app", group: "data", kind: "Job", usesKubernetesApi: true, containers: { run: { image: { pinned: "busybox:1.37.0" }, resources: small } } },
    "two-metrics": {
      namespace: "app",
      group: "data",
      kind: "Deployment",
      containers: { server: { image: { pinned: "busybox:1.37.0" }, resources: small, ports: ["metrics", "more-metrics"] } },
      ports: { metrics: { port: 9100, metrics: true }, "more-metrics": { port: 9101, metrics: true } },
    },
  };
  return { workloads: { ...original.workloads, ...testRecords } };
});

const { cronJob, daemonSet, deployment, job, persistentVolumeClaims, serviceAccount, statefulSet } = await import("../apps/lib/workload");
const { clusterAccess, namespaceAccess } = await import("../apps/lib/rbac");
const { address } = await import("../apps/lib/service");
const { portOf } = await import("../core/contract/index");
const { validateModel } = await import("../core/validate/index");
const { runRules } = await import("../policies/engine/run");
const { rules } = await import("../policies/rules/index");
const { repoRoot } = await import("./support/repo");
const { readFileSync } = await import("node:fs");
const { parse } = await import("yaml");
type KubeObject = import("../apps/lib/app").KubeObject;
type Settings = import("../core/settings/schema").Settings;

// The prod settings as they are (loading them would refuse the test records' API user without kubernetesApi).
const settings = parse(readFileSync(`${repoRoot}/environments/prod/settings.yaml`, "utf8")) as Settings;
const context = { environment: "prod", settings, deployed: new Set<never>() };
const prod = { settings };
const statefulSetOf = (workload: string, containers: { name: string }[]) => statefulSet(context, { name: name(workload), serviceName: `${workload}-headless`, containers });
const name = <T extends string>(workload: T) => workload as never;

function jsonOf(objects: KubeObject[]) {
  return objects.map((model) => {
    const json = model.toJSON() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(validateModel(model, json), `${json.kind} ${json.metadata.name}`).toEqual([]);
    return json;
  });
}

/** Findings of the given rules on the objects, as "RULE: message (exempt: reason)". */
function findings(objects: Record<string, unknown>[], ids: string[]): string[] {
  const manifests = objects.map((object, index) => ({ file: `object-${index}.yaml`, object }));
  const selected = rules.filter((rule) => ids.includes(rule.id));
  return runRules({ environment: "prod", root: "(test)", manifests, settings: prod.settings, loadProblems: [] }, selected).map((f) => `${f.rule}: ${f.message}${f.exemption ? ` (exempt: ${f.exemption})` : ""}`);
}

describe("DaemonSet builder", () => {
  const objects = jsonOf(
    daemonSet(context, {
      name: name("node-agent"),
      containers: [{ name: "agent", readinessProbe: { tcpSocket: { port: 9100 } }, livenessProbe: { tcpSocket: { port: 9100 } } }],
      volumes: [{ name: "scratch", emptyDir: {} }],
    }),
  );
  const daemon = objects.find((o) => o.kind === "DaemonSet")!;

  it("runs one pod per node in the record's namespace, tolerating every taint, with the record's image and port", () => {
    expect(daemon.metadata.namespace).toBe("monitoring");
    expect(daemon.spec.template.spec.tolerations).toEqual([{ operator: "Exists" }]);
    expect(daemon.spec.template.spec.containers[0]).toMatchObject({ image: "quay.io/prometheus/node-exporter:v1.12.1", ports: [{ name: "metrics", containerPort: 9100, protocol: "TCP" }] });
    expect(daemon.spec.template.metadata.annotations).toEqual({ "prometheus.io/scrape": "true", "prometheus.io/port": "9100" });
    expect(daemon.spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } });
  });

  it("gets the host access its record grants, host paths after its own volumes", () => {
    expect(daemon.spec.template.spec).toMatchObject({ hostNetwork: true, hostPID: true });
    expect(daemon.spec.template.spec.volumes).toEqual([{ name: "scratch", emptyDir: {} }, { name: "host-proc", hostPath: { path: "/proc", type: "Directory" } }]);
  });

  it("host access is exempted rule by rule, with the record's reason, and nothing else is", () => {
    expect(findings(objects, ["SEC008", "SEC009", "SEC010", "SEC012"])).toEqual([
      "SEC008: pod uses hostNetwork (exempt: reads the node's network statistics)",
      "SEC009: pod uses hostPID (exempt: sees every process of the node)",
      "SEC012: volume host-proc mounts host path /proc (exempt: reads the node's /proc)",
    ]);
  });

  it("an exemption the record does not grant exempts nothing, whatever the annotation says", () => {
    const claimed = structuredClone(objects);
    const agent = claimed.find((o) => o.kind === "DaemonSet")!;
    agent.metadata.annotations["online-boutique-gitops/policy-exemptions"] += "\nSEC010: shares the node's IPC";
    agent.spec.template.spec.hostIPC = true;
    expect(findings(claimed, ["SEC010"])).toEqual(["SEC010: pod uses hostIPC"]);
  });

  it("a Deployment is never exempt, even with the annotation", () => {
    const deployed = structuredClone(objects).map((o) => (o.kind === "DaemonSet" ? { ...o, kind: "Deployment" } : o));
    expect(findings(deployed, ["SEC008"])).toEqual(["SEC008: pod uses hostNetwork"]);
  });
});

describe("CronJob and Job builders", () => {
  const pod = { containers: [{ name: "report", command: ["true"] }] };

  it("a CronJob never overlaps itself, retries a bounded number of times within a deadline, keeps a short history", () => {
    const [cron] = jsonOf([cronJob(context, { name: name("nightly-report"), schedule: "0 3 * * *", backoffLimit: 1, activeDeadlineSeconds: 600, startingDeadlineSeconds: 300, ...pod })]);
    expect(cron!.spec).toMatchObject({ schedule: "0 3 * * *", concurrencyPolicy: "Forbid", startingDeadlineSeconds: 300, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3, jobTemplate: { spec: { backoffLimit: 1, activeDeadlineSeconds: 600 } } });
    expect(cron!.spec.jobTemplate.spec.template.spec).toMatchObject({ restartPolicy: "OnFailure", automountServiceAccountToken: false, securityContext: { runAsNonRoot: true } });
    expect(findings([cron!], ["RES004", "SEC001", "SEC002", "SEC003", "SEC006", "IMG001"])).toEqual([]);
  });

  it("a workload's standalone claims have the record's size", () => {
    const [claim] = jsonOf(persistentVolumeClaims(context, name("nightly-report")));
    expect(claim!.spec.resources.requests.storage).toBe("1Gi");
    expect(claim!.metadata.namespace).toBe("microservices-demo");
  });

  it("a Job runs once, with bounded retries within a deadline, and is removed after it finishes when given a TTL", () => {
    const [run] = jsonOf([job(context, { name: name("first-run"), backoffLimit: 2, activeDeadlineSeconds: 300, ttlSecondsAfterFinished: 3600, containers: [{ name: "run", command: ["true"] }] })]);
    expect(run!.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 300, ttlSecondsAfterFinished: 3600, template: { spec: { restartPolicy: "OnFailure" } } });
    const [kept] = jsonOf([job(context, { name: name("first-run"), backoffLimit: 0, activeDeadlineSeconds: 300, containers: [{ name: "run", command: ["true"] }] })]);
    expect(kept!.spec.ttlSecondsAfterFinished).toBeUndefined();
  });
});

describe("RBAC builders", () => {
  it("bind exactly the given rules to the workload's own ServiceAccount, which then carries a token", () => {
    const objects = jsonOf([serviceAccount(context, name("api-reader")), ...clusterAccess(context, name("api-reader"), [{ apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] }]), ...namespaceAccess(context, name("api-reader"), [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }])]);
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`)).toEqual([
      "ServiceAccount monitoring/api-reader",
      "ClusterRole /monitoring-api-reader",
      "ClusterRoleBinding /monitoring-api-reader",
      "Role monitoring/api-reader",
      "RoleBinding monitoring/api-reader",
    ]);
    expect(objects[0]!.automountServiceAccountToken).toBe(true);
    expect(objects[2]!.subjects).toEqual([{ kind: "ServiceAccount", name: "api-reader", namespace: "monitoring" }]);
    expect(findings(objects, ["RBAC001", "RBAC002", "RBAC003", "RBAC004"])).toEqual([]);
  });

  it("refuse a workload whose record does not say it uses the API", () => {
    expect(() => clusterAccess(context, "frontend", [])).toThrow(/frontend gets RBAC but its record does not say usesKubernetesApi/);
  });
});

describe("a module that disagrees with its record", () => {
  it("naming a container the record does not have fails", () => {
    expect(() => deployment(context, { name: "adservice", containers: [{ name: "server" }, { name: "sidecar" }] })).toThrow(/workload adservice has containers server, but its module builds server, sidecar/);
  });

  it("running an init container as a main one fails", () => {
    expect(() => statefulSetOf("redis", [{ name: "config-init" }, { name: "redis" }, { name: "redis-exporter" }])).toThrow(/says container "config-init" is an init container/);
  });

  it("two metrics ports cannot both be announced to Prometheus", () => {
    expect(() => deployment(context, { name: name("two-metrics"), containers: [{ name: "server" }] })).toThrow(/more than one metrics port/);
  });

  it("building fewer (or other) containers than the record has fails", () => {
    expect(() => statefulSetOf("redis", [{ name: "redis" }])).toThrow(/workload redis has containers config-init, redis, redis-exporter, but its module builds redis/);
  });

  it("building a workload with the builder of another kind fails", () => {
    expect(() => deployment(context, { name: name("postgres"), containers: [] })).toThrow(/workload postgres is a StatefulSet, not a Deployment/);
  });

  it("mounting a claim the record does not have fails", () => {
    expect(() => cronJob(context, { name: name("nightly-report"), schedule: "0 3 * * *", backoffLimit: 1, activeDeadlineSeconds: 600, startingDeadlineSeconds: 300, containers: [{ name: "report" }], volumes: [{ name: "x", persistentVolumeClaim: { claimName: "someone-elses" } }] })).toThrow(/workload nightly-report has no volume claim "someone-elses"/);
  });

  it("a run that uses the Kubernetes API is refused until runs get their own account", () => {
    expect(() => job(context, { name: name("api-job"), backoffLimit: 1, activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 60, containers: [{ name: "run" }] })).toThrow(/api-job uses the Kubernetes API, which the CronJob and Job builders do not support yet/);
  });

  it("an address exists only for a call in the client's record, and a port only by its name", () => {
    expect(address("frontend", "cartservice")).toBe("cartservice:7070");
    expect(() => address("frontend", "postgres")).toThrow(/workload frontend has no call to postgres; add it to frontend's calls/);
    expect(() => portOf("postgres", "pg")).toThrow(/workload postgres has no port named "pg"/);
  });
});
