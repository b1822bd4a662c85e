// What the rendered Online Boutique must be, read as a specification.
import { describe, expect, it } from "vitest";
import { containerResources, records, type WorkloadName } from "../core/contract/index";
import { find, type Json } from "./support/repo";
import { objectsOf } from "./support/render";

const environments = ["dev", "prod"] as const;
const services = ["frontend", "checkoutservice", "productcatalogservice", "cartservice", "currencyservice", "paymentservice", "shippingservice", "emailservice", "recommendationservice", "adservice"];
/** The cart store: one Redis in dev, Redis + Sentinels (StatefulSets) in prod. */
const cartStore: Record<string, { kind: string; name: string; service: string }[]> = {
  dev: [{ kind: "Deployment", name: "redis-cart", service: "redis-cart" }],
  prod: [
    { kind: "StatefulSet", name: "redis", service: "redis-headless" },
    { kind: "StatefulSet", name: "redis-sentinel", service: "redis-sentinel" },
  ],
};

/** Variables the upstream code reads at start; frontend and checkout panic when an address is missing. */
const requiredEnv: Record<string, string[]> = {
  frontend: ["PORT", "PRODUCT_CATALOG_SERVICE_ADDR", "CURRENCY_SERVICE_ADDR", "CART_SERVICE_ADDR", "RECOMMENDATION_SERVICE_ADDR", "SHIPPING_SERVICE_ADDR", "CHECKOUT_SERVICE_ADDR", "AD_SERVICE_ADDR", "SHOPPING_ASSISTANT_SERVICE_ADDR"],
  checkoutservice: ["PORT", "PRODUCT_CATALOG_SERVICE_ADDR", "SHIPPING_SERVICE_ADDR", "PAYMENT_SERVICE_ADDR", "EMAIL_SERVICE_ADDR", "CURRENCY_SERVICE_ADDR", "CART_SERVICE_ADDR"],
  recommendationservice: ["PORT", "PRODUCT_CATALOG_SERVICE_ADDR"],
  cartservice: ["REDIS_ADDR"],
  productcatalogservice: ["PORT"],
  currencyservice: ["PORT"],
  paymentservice: ["PORT"],
  shippingservice: ["PORT"],
  emailservice: ["PORT"],
  adservice: ["PORT"],
};

const podSpec = (workload: Json) => workload.spec.template.spec;
const podWorkloads = (objects: Json[]) => objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
/** Every container, init containers included. */
const containers = (objects: Json[]) =>
  podWorkloads(objects).flatMap((d) => [...(podSpec(d).initContainers ?? []), ...podSpec(d).containers].map((c: Json) => ({ workload: d.metadata.name as string, container: c, init: (podSpec(d).initContainers ?? []).includes(c) })));
const envOf = (container: Json) => Object.fromEntries((container.env ?? []).map((e: Json) => [e.name, e.value]));

describe.each(environments)("%s: Online Boutique workloads", (environment) => {
  const objects = objectsOf(environment);

  it("runs the ten services as Deployments and the cart store, each with a ServiceAccount and a Service", () => {
    const orders = [
      { kind: "StatefulSet", name: "postgres", service: "postgres" },
      { kind: "StatefulSet", name: "order-persistence", service: "order-persistence" },
    ];
    const expected = [...services.map((name) => ({ kind: "Deployment", name, service: name })), ...cartStore[environment]!, ...orders];
    for (const { kind, name, service } of expected) {
      expect(find(objects, kind, name), name).toBeDefined();
      expect(find(objects, "ServiceAccount", name), name).toBeDefined();
      expect(find(objects, "Service", service), service).toBeDefined();
    }
    // The shop, its data tier and the order tee are exactly these; other groups (monitoring, traffic) have specifications of their own.
    const shopAndData = podWorkloads(objects).filter((o) => ["online-boutique", "data", "orders"].includes(records[o.metadata.name as keyof typeof records]?.group));
    expect(shopAndData.map((o) => o.metadata.name).sort()).toEqual(expected.map((e) => e.name).sort());
  });

  it("every Deployment's env has every variable the upstream code requires", () => {
    for (const [service, names] of Object.entries(requiredEnv)) {
      const env = envOf(podSpec(find(objects, "Deployment", service)!).containers[0]);
      for (const name of names) expect(env[name], `${service} ${name}`).toMatch(/\S/);
    }
  });

  it("every *_ADDR points at a rendered Service and the port it exposes", () => {
    for (const { workload, container } of containers(objects).filter((c) => services.includes(c.workload))) {
      for (const [name, value] of Object.entries(envOf(container)) as [string, string][]) {
        if (!name.endsWith("_ADDR") || name === "SHOPPING_ASSISTANT_SERVICE_ADDR") continue; // optional upstream feature, not deployed
        const [host, port] = value.split(",")[0]!.split(":");
        // "name" in the caller's namespace, or "name.namespace.svc.cluster.local" in another.
        const [serviceName, namespace = "microservices-demo"] = host!.split(".");
        const service = objects.find((o) => o.kind === "Service" && o.metadata.name === serviceName && o.metadata.namespace === namespace);
        expect(service, `${workload} ${name}=${value}`).toBeDefined();
        expect(service!.spec.ports.map((p: Json) => String(p.port)), `${workload} ${name}`).toContain(port);
      }
    }
  });

  it("images are pinned: Online Boutique at v0.10.6, nothing at latest or untagged", () => {
    for (const { workload, container } of containers(objects)) {
      expect(container.image, workload).toMatch(/^[^@]+:(?!latest$)[\w.-]+$|@sha256:[0-9a-f]{64}$/);
      if (services.includes(workload)) expect(container.image).toBe(`us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/${workload}:v0.10.6`);
    }
  });

  it("every container has the contract's requests and limits", () => {
    for (const { workload, container } of containers(objects)) {
      const expected = containerResources(workload, container.name);
      expect(container.resources, `${workload}/${container.name}`).toEqual(expected);
    }
  });

  it("uses the architecture's resource table for frontend, checkout, cart and redis", () => {
    const redis = environment === "prod" ? find(objects, "StatefulSet", "redis")! : find(objects, "Deployment", "redis-cart")!;
    const resourcesOf = (name: string) => (name === "redis-cart" ? podSpec(redis) : podSpec(find(objects, "Deployment", name)!)).containers[0].resources;
    expect(resourcesOf("frontend")).toEqual({ requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } });
    expect(resourcesOf("checkoutservice")).toEqual({ requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } });
    expect(resourcesOf("cartservice")).toEqual({ requests: { cpu: "200m", memory: "64Mi" }, limits: { cpu: "300m", memory: "128Mi" } });
    expect(resourcesOf("redis-cart")).toEqual({ requests: { cpu: "70m", memory: "200Mi" }, limits: { cpu: "125m", memory: "256Mi" } });
  });

  it("pods meet Pod Security 'restricted': non-root, no escalation, drop ALL, RuntimeDefault seccomp, read-only root", () => {
    for (const deployment of podWorkloads(objects)) {
      const spec = podSpec(deployment);
      expect(spec.securityContext, deployment.metadata.name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      // Only a workload whose record says it uses the API mounts a token (Prometheus discovers pods).
      expect(spec.automountServiceAccountToken, deployment.metadata.name).toBe(records[deployment.metadata.name as WorkloadName].usesKubernetesApi ?? false);
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(container.securityContext, deployment.metadata.name).toEqual({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
      }
    }
  });

  it("ServiceAccounts mount API tokens only for the workloads that use the API", () => {
    const accounts = objects.filter((o) => o.kind === "ServiceAccount");
    for (const account of accounts) expect(account.automountServiceAccountToken, account.metadata.name).toBe(records[account.metadata.name as WorkloadName].usesKubernetesApi ?? false);
    expect(accounts.filter((account) => account.automountServiceAccountToken).map((account) => account.metadata.name).sort()).toEqual(["alloy", "alloy-events", "kube-state-metrics", "prometheus"]);
  });

  it("every container has readiness and liveness probes on its own port; gRPC services use gRPC probes", () => {
    for (const { workload, container } of containers(objects).filter((c) => !c.init)) {
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        expect(probe, workload).toBeDefined();
        if (probe.exec) continue; // e.g. pg_isready
        const port = probe.grpc?.port ?? probe.httpGet?.port ?? probe.tcpSocket?.port;
        expect(container.ports.map((p: Json) => p.containerPort), workload).toContain(port);
        if (services.includes(workload) && workload !== "frontend") expect(probe.grpc, workload).toBeDefined();
      }
    }
  });

  it("the frontend's HTTP probes send the session cookie", () => {
    const server = podSpec(find(objects, "Deployment", "frontend")!).containers[0];
    expect(server.readinessProbe.httpGet).toEqual({ path: "/_healthz", port: 8080, httpHeaders: [{ name: "Cookie", value: "shop_session-id=x-readiness-probe" }] });
    expect(server.livenessProbe.httpGet.httpHeaders).toEqual([{ name: "Cookie", value: "shop_session-id=x-liveness-probe" }]);
  });

  it("Services expose upstream's ports: port → container port, emailservice 5000 → 8080, frontend 80 → 8080", () => {
    // Upstream v0.10.6's Services (release manifests); clients dial these.
    const upstream: Record<string, [number, number]> = {
      frontend: [80, 8080],
      checkoutservice: [5050, 5050],
      productcatalogservice: [3550, 3550],
      cartservice: [7070, 7070],
      currencyservice: [7000, 7000],
      paymentservice: [50051, 50051],
      shippingservice: [50051, 50051],
      emailservice: [5000, 8080],
      recommendationservice: [8080, 8080],
      adservice: [9555, 9555],
      "redis-cart": [6379, 6379],
      "redis-headless": [6379, 6379],
      "redis-sentinel": [26379, 26379],
    };
    for (const { service } of [...services.map((name) => ({ service: name })), ...cartStore[environment]!]) {
      const [port] = find(objects, "Service", service)!.spec.ports;
      expect([port.port, port.targetPort], service).toEqual(upstream[service]);
    }
  });

  it("every object carries the standard labels, and so does every pod template", () => {
    for (const object of objects) {
      const labelSets = [object.metadata.labels, object.spec?.template?.metadata?.labels].filter(Boolean);
      for (const labels of labelSets) {
        expect(Object.keys(labels).sort(), `${object.kind}/${object.metadata.name}`).toEqual(
          expect.arrayContaining(["app", "app.kubernetes.io/component", "app.kubernetes.io/managed-by", "app.kubernetes.io/name", "app.kubernetes.io/part-of"]),
        );
      }
    }
  });

  it("the shop's namespace enforces Pod Security restricted; monitoring, home of the node agents, enforces privileged", () => {
    const labels = (name: string) => find(objects, "Namespace", name)?.metadata.labels;
    expect(labels("microservices-demo")["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(labels("monitoring")["pod-security.kubernetes.io/enforce"]).toBe("privileged");
  });

  it("both namespaces warn and audit at restricted, so any pod that breaks it is visible", () => {
    for (const name of ["microservices-demo", "monitoring"]) {
      const labels = find(objects, "Namespace", name)?.metadata.labels;
      expect(labels["pod-security.kubernetes.io/warn"]).toBe("restricted");
      expect(labels["pod-security.kubernetes.io/audit"]).toBe("restricted");
    }
  });
});

describe("availability", () => {
  const prod = objectsOf("prod");
  const dev = objectsOf("dev");
  const replicasOf = (objects: Json[], name: string) => {
    const deployment = find(objects, "Deployment", name)!;
    return deployment.spec.replicas ?? objects.find((o) => o.kind === "HorizontalPodAutoscaler" && o.spec.scaleTargetRef.name === name)?.spec.minReplicas;
  };

  it("prod runs frontend, checkout and cart at three replicas", () => {
    for (const name of ["frontend", "checkoutservice", "cartservice"]) expect(replicasOf(prod, name), name).toBe(3);
  });

  it("prod autoscales the frontend from 3 to 10 at 50% CPU, and its Deployment has no replicas field", () => {
    const hpa = find(prod, "HorizontalPodAutoscaler", "frontend")!;
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10, scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "frontend" } });
    expect(hpa.spec.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }]);
    expect("replicas" in find(prod, "Deployment", "frontend")!.spec).toBe(false);
  });

  it("no HPA target carries a replicas field, in any environment", () => {
    for (const objects of [dev, prod]) {
      for (const hpa of objects.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
        expect(find(objects, "Deployment", hpa.spec.scaleTargetRef.name)!.spec.replicas).toBeUndefined();
      }
    }
  });

  it("every workload with more than one replica has a PDB that allows one eviction", () => {
    for (const objects of [dev, prod]) {
      for (const deployment of objects.filter((o) => o.kind === "Deployment")) {
        const name = deployment.metadata.name;
        const pdb = objects.find((o) => o.kind === "PodDisruptionBudget" && o.spec.selector.matchLabels.app === name);
        if (replicasOf(objects, name) > 1) expect(pdb?.spec.maxUnavailable, name).toBe(1);
        else expect(pdb, name).toBeUndefined();
      }
    }
  });

  it("multi-replica workloads spread across nodes", () => {
    for (const name of ["frontend", "checkoutservice", "cartservice"]) {
      const constraints = podSpec(find(prod, "Deployment", name)!).topologySpreadConstraints;
      expect(constraints, name).toContainEqual(expect.objectContaining({ topologyKey: "kubernetes.io/hostname", maxSkew: 1, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: name } } }));
    }
  });

  it("dev runs one replica of everything and no HPA (small clusters often lack metrics-server)", () => {
    for (const name of [...services, "redis-cart"]) expect(find(dev, "Deployment", name)!.spec.replicas, name).toBe(1);
    expect(dev.filter((o) => o.kind === "HorizontalPodAutoscaler")).toEqual([]);
    expect(dev.filter((o) => o.kind === "PodDisruptionBudget")).toEqual([]);
  });
});

describe("frontend exposure follows the environment", () => {
  it("dev: a NodePort Service on the configured port", () => {
    const service = find(objectsOf("dev"), "Service", "frontend-external")!;
    expect(service.spec.type).toBe("NodePort");
    expect(service.spec.ports).toEqual([{ name: "http", port: 80, targetPort: 8080, protocol: "TCP", nodePort: 30080 }]);
  });

  it("prod: an Ingress with host and TLS in front of the frontend Service, no external Service", () => {
    const objects = objectsOf("prod");
    const ingress = find(objects, "Ingress", "frontend")!;
    expect(ingress.spec.rules[0].host).toBe("shop.example.com");
    expect(ingress.spec.tls).toEqual([{ hosts: ["shop.example.com"], secretName: "shop-example-com-tls" }]);
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: "frontend", port: { number: 80 } });
    expect(find(objects, "Service", "frontend-external")).toBeUndefined();
  });

  it("LoadBalancer: an external Service limited to the given source ranges", () => {
    const objects = objectsOf("dev", (settings) => {
      settings.frontendExposure = { type: "LoadBalancer", loadBalancerSourceRanges: ["203.0.113.0/24"] };
    });
    const service = find(objects, "Service", "frontend-external")!;
    expect(service.spec).toMatchObject({ type: "LoadBalancer", loadBalancerSourceRanges: ["203.0.113.0/24"] });
    expect(find(objects, "Ingress", "frontend")).toBeUndefined();
  });
});
