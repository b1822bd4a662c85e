// Referential integrity: every name an object mentions exists in the rendered tree, and what
// Argo CD will sync is allowed by its AppProject.
import { existsSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { containersOf, find, identity, mapSelects, ofKind, podsSelectedBy, podSpecOf, podSpecPath, podTemplateOf, selectorMatches, workloads } from "../engine/objects";
import { externalSecrets, undeployedUpstreamAddresses } from "../../core/contract/index";
import type { Json, Manifest, PolicyContext, Rule, Violation } from "../engine/types";

/** Where an Argo CD Application's source.path lies in the tree being checked; undefined when it points outside rendered/<env>/. */
function applicationPathOnDisk(context: PolicyContext, path: string): string | undefined {
  const prefix = `rendered/${context.environment}/`;
  const rest = path.slice(prefix.length);
  if (!path.startsWith(prefix) || rest === "" || rest.split("/").some((segment) => segment === ".." || segment === "." || segment === "")) return undefined;
  return join(context.root, rest);
}

function secretVolumeNames(pod: Json): string[] {
  return ((pod.volumes ?? []) as Json[]).flatMap((v) => [v.secret?.secretName, ...((v.projected?.sources ?? []) as Json[]).map((s) => s.secret?.name)]).filter(Boolean);
}

export const referentialRules: Rule[] = [
  {
    id: "REF001",
    theme: "referential",
    severity: "error",
    title: "every Service selects pods",
    fix: "Make spec.selector match the pod template labels of a rendered workload.",
    check: ({ manifests }) =>
      ofKind(manifests, "Service")
        .filter((s) => s.object.spec?.type !== "ExternalName" && s.object.spec?.selector && podsSelectedBy(manifests, s.object.metadata?.namespace, (labels) => mapSelects(s.object.spec.selector, labels)).length === 0)
        .map((manifest) => ({ manifest, path: "/spec/selector", message: `selector ${JSON.stringify(manifest.object.spec.selector)} matches no pods` })),
  },
  {
    id: "REF002",
    theme: "referential",
    severity: "error",
    title: "Service target ports exist on the selected pods",
    fix: "Set targetPort to a containerPort (or port name) of the selected pods.",
    check: ({ manifests }) =>
      ofKind(manifests, "Service").flatMap((service) => {
        const pods = podsSelectedBy(manifests, service.object.metadata?.namespace, (labels) => mapSelects(service.object.spec?.selector, labels));
        if (pods.length === 0) return [];
        return ((service.object.spec?.ports ?? []) as Json[]).flatMap((port, index): Violation[] => {
          const target = port.targetPort ?? port.port;
          const served = pods.every((pod) =>
            containersOf(pod.object).some(({ container }) => ((container.ports ?? []) as Json[]).some((p) => (typeof target === "number" ? p.containerPort === target : p.name === target))),
          );
          return served ? [] : [{ manifest: service, path: `/spec/ports/${index}/targetPort`, message: `target port ${target} is not a port of every selected pod` }];
        });
      }),
  },
  {
    id: "REF003",
    theme: "referential",
    severity: "error",
    title: "every NetworkPolicy selects pods",
    fix: "Make spec.podSelector match a rendered workload ({} for the whole namespace).",
    check: ({ manifests }) =>
      ofKind(manifests, "NetworkPolicy")
        .filter((np) => Object.keys(np.object.spec?.podSelector ?? {}).length > 0 && podsSelectedBy(manifests, np.object.metadata?.namespace, (labels) => selectorMatches(np.object.spec.podSelector, labels)).length === 0)
        .map((manifest) => ({ manifest, path: "/spec/podSelector", message: "podSelector matches no pods: the policy protects nothing" })),
  },
  {
    id: "REF004",
    theme: "referential",
    severity: "error",
    title: "PodDisruptionBudgets select pods",
    fix: "Make spec.selector match the workload's pod labels.",
    check: ({ manifests }) =>
      ofKind(manifests, "PodDisruptionBudget")
        .filter((pdb) => podsSelectedBy(manifests, pdb.object.metadata?.namespace, (labels) => selectorMatches(pdb.object.spec?.selector, labels)).length === 0)
        .map((manifest) => ({ manifest, path: "/spec/selector", message: "selector matches no pods" })),
  },
  {
    id: "REF005",
    theme: "referential",
    severity: "error",
    title: "ConfigMaps (and keys) referenced by pods exist",
    fix: "Render the ConfigMap with that key, or fix the name in env valueFrom, envFrom or the volume.",
    check: ({ manifests }) =>
      workloads(manifests).flatMap((manifest) => {
        const namespace = manifest.object.metadata?.namespace;
        const pod = podSpecOf(manifest.object)!;
        const names = [
          ...containersOf(manifest.object).flatMap(({ container }) => [
            ...((container.env ?? []) as Json[]).map((e) => e.valueFrom?.configMapKeyRef).filter((r: Json | undefined) => r && r.optional !== true).map((r: Json) => r.name),
            ...((container.envFrom ?? []) as Json[]).map((e) => e.configMapRef).filter((r: Json | undefined) => r && r.optional !== true).map((r: Json) => r.name),
          ]),
          ...((pod.volumes ?? []) as Json[]).filter((v) => v.configMap && v.configMap.optional !== true).map((v) => v.configMap.name),
        ];
        const missingMaps = [...new Set(names)].filter((name) => !find(manifests, "ConfigMap", namespace, name)).map((name) => ({ manifest, path: podSpecPath(manifest.object), message: `ConfigMap ${name} does not exist in ${namespace}` }));
        const missingKeys = containersOf(manifest.object).flatMap(({ container, path }) =>
          ((container.env ?? []) as Json[]).flatMap((entry, index): Violation[] => {
            const ref = entry.valueFrom?.configMapKeyRef;
            const map = ref && ref.optional !== true ? find(manifests, "ConfigMap", namespace, ref.name) : undefined;
            return map && !(ref.key in (map.object.data ?? {})) && !(ref.key in (map.object.binaryData ?? {})) ? [{ manifest, path: `${path}/env/${index}`, message: `ConfigMap ${ref.name} has no key ${ref.key}` }] : [];
          }),
        );
        return [...missingMaps, ...missingKeys];
      }),
  },
  {
    id: "REF006",
    theme: "referential",
    severity: "error",
    title: "Secrets referenced by pods are declared external",
    fix: "Secrets are never rendered: declare the Secret in core/contract/index.ts (externalSecrets) or fix the name.",
    check: ({ manifests }) => {
      const declared = new Set(externalSecrets);
      return workloads(manifests).flatMap((manifest) => {
        const pod = podSpecOf(manifest.object)!;
        const names = [
          ...containersOf(manifest.object).flatMap(({ container }) => [
            ...((container.env ?? []) as Json[]).map((e) => e.valueFrom?.secretKeyRef?.name),
            ...((container.envFrom ?? []) as Json[]).map((e) => e.secretRef?.name),
          ]),
          ...secretVolumeNames(pod),
        ].filter((n): n is string => typeof n === "string");
        return [...new Set(names)].filter((name) => !declared.has(name)).map((name) => ({ manifest, path: podSpecPath(manifest.object), message: `Secret ${name} is neither rendered (never, by design) nor declared in externalSecrets` }));
      });
    },
  },
  {
    id: "REF007",
    theme: "referential",
    severity: "error",
    title: "ServiceAccounts used by pods exist",
    fix: "Render a ServiceAccount of that name in the workload's namespace.",
    check: ({ manifests }) =>
      workloads(manifests)
        .filter((m) => {
          const name = podSpecOf(m.object)!.serviceAccountName;
          return name !== undefined && name !== "default" && !find(manifests, "ServiceAccount", m.object.metadata?.namespace, name);
        })
        .map((manifest) => ({ manifest, path: `${podSpecPath(manifest.object)}/serviceAccountName`, message: `ServiceAccount ${podSpecOf(manifest.object)!.serviceAccountName} does not exist` })),
  },
  {
    id: "REF008",
    theme: "referential",
    severity: "error",
    title: "StatefulSets name a headless governing Service",
    fix: "Set spec.serviceName to a rendered Service with clusterIP: None selecting the pods.",
    check: ({ manifests }) =>
      ofKind(manifests, "StatefulSet").flatMap((manifest): Violation[] => {
        const service = find(manifests, "Service", manifest.object.metadata?.namespace, manifest.object.spec?.serviceName);
        if (!service) return [{ manifest, path: "/spec/serviceName", message: `governing Service ${manifest.object.spec?.serviceName} does not exist` }];
        return service.object.spec?.clusterIP === "None" ? [] : [{ manifest, path: "/spec/serviceName", message: `governing Service ${service.object.metadata?.name} is not headless (clusterIP: None)` }];
      }),
  },
  {
    id: "REF009",
    theme: "referential",
    severity: "error",
    title: "Ingress backends exist",
    fix: "Point each Ingress backend at a rendered Service and one of its ports.",
    check: ({ manifests }) =>
      ofKind(manifests, "Ingress").flatMap((ingress) =>
        ((ingress.object.spec?.rules ?? []) as Json[]).flatMap((rule, r) =>
          ((rule.http?.paths ?? []) as Json[]).flatMap((path, p): Violation[] => {
            const backend = path.backend?.service;
            const service = backend && find(manifests, "Service", ingress.object.metadata?.namespace, backend.name);
            const hasPort = service && ((service.object.spec?.ports ?? []) as Json[]).some((sp) => sp.port === backend.port?.number || (backend.port?.name !== undefined && sp.name === backend.port.name));
            return hasPort ? [] : [{ manifest: ingress, path: `/spec/rules/${r}/http/paths/${p}/backend`, message: `backend ${backend?.name}:${backend?.port?.number ?? backend?.port?.name} does not exist` }];
          }),
        ),
      ),
  },
  {
    id: "REF010",
    theme: "referential",
    severity: "error",
    title: "Argo CD Applications point at folders that exist",
    fix: "Fix spec.source.path (rendered/<env>/<group>) or render the group.",
    check: (context) =>
      ofKind(context.manifests, "Application").flatMap((manifest): Violation[] => {
        const path: string | undefined = manifest.object.spec?.source?.path;
        if (path === undefined) return [];
        const onDisk = applicationPathOnDisk(context, path);
        if (onDisk === undefined) return [{ manifest, path: "/spec/source/path", message: `source path ${path} is not a folder inside rendered/${context.environment}/` }];
        return existsSync(onDisk) && statSync(onDisk).isDirectory() ? [] : [{ manifest, path: "/spec/source/path", message: `source path ${path} does not exist` }];
      }),
  },
  {
    id: "REF011",
    theme: "referential",
    severity: "error",
    title: "Argo CD Applications stay inside their AppProject",
    fix: "Use an AppProject that exists and allows the Application's source repository and destination.",
    check: ({ manifests }) =>
      ofKind(manifests, "Application").flatMap((manifest): Violation[] => {
        const spec = manifest.object.spec ?? {};
        const project = find(manifests, "AppProject", manifest.object.metadata?.namespace, spec.project);
        if (!project) return [{ manifest, path: "/spec/project", message: `AppProject ${spec.project} is not rendered` }];
        const problems: Violation[] = [];
        const repos: string[] = project.object.spec?.sourceRepos ?? [];
        if (!repos.includes(spec.source?.repoURL) && !repos.includes("*")) problems.push({ manifest, path: "/spec/source/repoURL", message: `repository ${spec.source?.repoURL} is not a source of AppProject ${spec.project}` });
        const allowed = ((project.object.spec?.destinations ?? []) as Json[]).some(
          (d) => (d.server === spec.destination?.server || d.server === "*") && (d.namespace === spec.destination?.namespace || d.namespace === "*"),
        );
        if (!allowed) problems.push({ manifest, path: "/spec/destination", message: `destination ${spec.destination?.server} ${spec.destination?.namespace} is not allowed by AppProject ${spec.project}` });
        return problems;
      }),
  },
  {
    id: "REF012",
    theme: "referential",
    severity: "error",
    title: "no two objects share kind, namespace and name",
    fix: "Rename or remove one of the objects: Argo CD would apply only one of them.",
    check: ({ manifests, root }) => {
      const seen = new Map<string, Manifest>();
      return manifests.flatMap((manifest): Violation[] => {
        const key = `${manifest.object.apiVersion?.split("/").slice(0, -1).join("/")}|${identity(manifest.object)}`;
        const first = seen.get(key);
        if (!first) return void seen.set(key, manifest), [];
        // Named within the tree being checked: the same message on every machine and in every report.
        return [{ manifest, message: `${identity(manifest.object)} is also defined in ${relative(root, first.file).split(sep).join("/")}` }];
      });
    },
  },
  {
    id: "REF013",
    theme: "referential",
    severity: "error",
    title: "workload selectors match their pod template",
    fix: "Make spec.selector match spec.template.metadata.labels (the API server rejects a mismatch).",
    check: ({ manifests }) =>
      workloads(manifests)
        .filter((m) => m.object.spec?.selector && !selectorMatches(m.object.spec.selector, podTemplateOf(m.object)?.metadata?.labels ?? {}))
        .map((manifest) => ({ manifest, path: "/spec/selector", message: "selector does not match the pod template's labels" })),
  },
  {
    id: "REF014",
    theme: "referential",
    severity: "error",
    title: "address variables point at a Service port that exists",
    fix: "Point the variable (*_ADDR, PGHOST/PGPORT) at a rendered Service and one of its ports; a localhost address at a port of the pod itself.",
    check: ({ manifests }) =>
      workloads(manifests).flatMap((manifest) =>
        containersOf(manifest.object).flatMap(({ container, path }) => {
          const env = ((container.env ?? []) as Json[]).filter((entry) => typeof entry.value === "string");
          const value = (name: string) => env.find((entry) => entry.name === name)?.value as string | undefined;
          const addresses = env
            .filter((entry) => typeof entry.name === "string" && entry.name.endsWith("_ADDR") && !(entry.name in undeployedUpstreamAddresses))
            .map((entry) => ({ index: ((container.env ?? []) as Json[]).indexOf(entry), name: entry.name as string, address: hostPort(entry.value) }));
          const pgHost = value("PGHOST");
          if (pgHost !== undefined && !pgHost.startsWith("/") && value("PGPORT") !== undefined) {
            addresses.push({ index: ((container.env ?? []) as Json[]).findIndex((entry) => entry.name === "PGHOST"), name: "PGHOST/PGPORT", address: { host: pgHost, port: Number(value("PGPORT")) } });
          }
          return addresses.flatMap(({ index, name, address }): Violation[] => {
            const problem = address ? addressProblem(manifests, manifest, address) : "is not host:port";
            return problem ? [{ manifest, path: `${path}/env/${index}`, message: `container ${container.name} ${name} ${problem}` }] : [];
          });
        }),
      ),
  },
];

/** Host and port of an address value: "host:port", "scheme://host:port", or a StackExchange.Redis string ("host:port,option=..."). */
function hostPort(value: string): { host: string; port: number } | undefined {
  const first = value.split(",")[0]!.replace(/^[a-z][a-z0-9+.-]*:\/\//, "").split("/")[0]!;
  const match = /^([^:]+):([0-9]+)$/.exec(first);
  return match ? { host: match[1]!, port: Number(match[2]) } : undefined;
}

/** Why the address does not lead anywhere, or undefined when a Service (or the pod itself) serves it. */
function addressProblem(manifests: Manifest[], workload: Manifest, { host, port }: { host: string; port: number }): string | undefined {
  if (host === "localhost" || host === "127.0.0.1") {
    const served = containersOf(workload.object).some(({ container }) => ((container.ports ?? []) as Json[]).some((p) => p.containerPort === port));
    return served ? undefined : `points at port ${port} of its own pod, where no container listens`;
  }
  // service, service.namespace, or service.namespace.svc[.cluster.local]
  const [serviceName, namespace = workload.object.metadata?.namespace] = host.split(".");
  const service = find(manifests, "Service", namespace, serviceName!);
  if (!service) return `points at Service ${serviceName} in ${namespace}, which does not exist`;
  const ports = ((service.object.spec?.ports ?? []) as Json[]).map((p) => p.port);
  return ports.includes(port) ? undefined : `points at port ${port} of Service ${serviceName}, which has ${ports.join(", ")}`;
}
