// Grafana as rendered: the overview's replicas, volume and resources; production's shared
// database and alerting peers; the provisioned datasources; login only with the admin password
// from the Secret; exposure as the settings say. There is no Grafana server on these machines:
// the rendered objects are the specification here (the dashboards' queries are run by real
// engines in test/grafana-dashboards.test.ts, the database roles in test/grafana-database.test.ts).
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { envEntries as envOf, find, type Json } from "./support/repo";
import { objectsOf } from "./support/render";

const grafanaOf = (environment: string) => find(objectsOf(environment), "StatefulSet", "grafana")!;
const envIn = (environment: string) => envOf(grafanaOf(environment).spec.template.spec.containers[0]);
const datasourcesOf = (environment: string) => parse(find(objectsOf(environment), "ConfigMap", "grafana-datasources")!.data["datasources.yaml"]).datasources as Json[];
/** Where each volume of the pod is mounted, by volume name. */
const mounts = (environment: string) => Object.fromEntries((grafanaOf(environment).spec.template.spec.containers[0].volumeMounts as Json[]).map((mount) => [mount.name, mount.mountPath]));
const volumes = (environment: string) => Object.fromEntries((grafanaOf(environment).spec.template.spec.volumes as Json[]).map((volume) => [volume.name, volume]));

describe("Grafana", () => {
  it("prod runs two with the overview's resources and a 5Gi grafana-storage volume each, with a disruption budget; dev one", () => {
    const prod = grafanaOf("prod");
    expect(prod.spec.replicas).toBe(2);
    expect(prod.spec.volumeClaimTemplates.map((claim: Json) => [claim.metadata.name, claim.spec.resources.requests.storage])).toEqual([["grafana-storage", "5Gi"]]);
    expect(prod.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } });
    expect(mounts("prod")["grafana-storage"]).toBe("/var/lib/grafana");
    expect(find(objectsOf("prod"), "PodDisruptionBudget", "grafana")).toBeDefined();
    expect(grafanaOf("dev").spec.replicas).toBe(1);
  });

  it("prod's two share the grafana database in PostgreSQL as its owner role, and gossip alerting state with each other on 9094", () => {
    const env = envIn("prod");
    expect(Object.fromEntries(["GF_DATABASE_TYPE", "GF_DATABASE_HOST", "GF_DATABASE_NAME", "GF_DATABASE_USER", "GF_DATABASE_PASSWORD__FILE"].map((name) => [name, env[name]!.value]))).toEqual({
      GF_DATABASE_TYPE: "postgres",
      GF_DATABASE_HOST: "postgres.microservices-demo.svc.cluster.local:5432",
      GF_DATABASE_NAME: "grafana",
      GF_DATABASE_USER: "grafana",
      GF_DATABASE_PASSWORD__FILE: "/etc/grafana/database/password",
    });
    expect(env.GF_UNIFIED_ALERTING_HA_PEERS!.value).toBe("grafana-0.grafana-headless.monitoring.svc.cluster.local:9094,grafana-1.grafana-headless.monitoring.svc.cluster.local:9094");
    expect(env.GF_UNIFIED_ALERTING_HA_ADVERTISE_ADDRESS!.value).toBe("$(POD_IP):9094");
    const headless = find(objectsOf("prod"), "Service", "grafana-headless")!;
    expect(headless.spec.ports.map((port: Json) => `${port.name} ${port.port}/${port.protocol}`)).toEqual(["http 3000/TCP", "gossip 9094/TCP", "gossip-udp 9094/UDP"]);
  });

  it("dev keeps SQLite on its volume and has no peers", () => {
    const env = envIn("dev");
    expect(env.GF_DATABASE_TYPE!.value).toBe("sqlite3");
    expect(env.GF_DATABASE_HOST).toBeUndefined();
    expect(env.GF_UNIFIED_ALERTING_HA_PEERS).toBeUndefined();
  });

  it.each(["dev", "prod"])("%s: no anonymous access, the login form on, no sign-up; the admin password and the encryption key are files of Secret prometheus-grafana", (environment) => {
    const env = envIn(environment);
    expect([env.GF_AUTH_ANONYMOUS_ENABLED!.value, env.GF_AUTH_DISABLE_LOGIN_FORM!.value, env.GF_USERS_ALLOW_SIGN_UP!.value]).toEqual(["false", "false", "false"]);
    expect(volumes(environment).secrets!.secret).toEqual({ secretName: "prometheus-grafana" });
    expect(env.GF_SECURITY_ADMIN_PASSWORD__FILE!.value).toBe(`${mounts(environment).secrets}/admin-password`);
    expect(env.GF_SECURITY_SECRET_KEY__FILE!.value).toBe(`${mounts(environment).secrets}/secret-key`);
  });

  it.each(["dev", "prod"])("%s: every credential Grafana reads is a file of a mounted Secret, never an environment value", (environment) => {
    const secretMounts = Object.entries(mounts(environment)).filter(([name]) => volumes(environment)[name]?.secret).map(([, path]) => path);
    for (const [name, entry] of Object.entries(envIn(environment)).filter(([name]) => /PASSWORD|SECRET/.test(name))) {
      expect(name, name).toMatch(/__FILE$/);
      expect(secretMounts.some((dir) => entry.value!.startsWith(`${dir}/`)), name).toBe(true);
    }
  });

  it("its datasources have fixed uids: Prometheus through its Service (Loki: test/loki.test.ts), the orders database through the read-only role (prod: the replica's Service; dev: the only one)", () => {
    const [prometheus, , orders] = datasourcesOf("prod");
    expect(prometheus).toMatchObject({ uid: "prometheus", type: "prometheus", url: "http://prometheus.monitoring.svc.cluster.local:9090", isDefault: true, jsonData: { timeInterval: "30s" } });
    expect(orders).toMatchObject({ uid: "orders-postgres", type: "grafana-postgresql-datasource", url: "postgres-read.microservices-demo.svc.cluster.local:5432", user: "grafana_reader", jsonData: { database: "orders" } });
    expect(orders!.secureJsonData).toEqual({ password: `$__file{${mounts("prod").database}/reader-password}` });
    expect(volumes("prod").database!.secret).toEqual({ secretName: "grafana-database" });
    expect(datasourcesOf("dev")[2]!.url).toBe("postgres.microservices-demo.svc.cluster.local:5432");
  });

  it("prod is reached through an Ingress with TLS on port 80 of its Service (its root URL is the host's); dev on a node port", () => {
    const ingress = find(objectsOf("prod"), "Ingress", "grafana")!;
    expect(ingress.spec.tls).toEqual([{ hosts: ["grafana.example.com"], secretName: "grafana-example-com-tls" }]);
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: "grafana", port: { number: 80 } });
    expect(envIn("prod").GF_SERVER_ROOT_URL!.value).toBe("https://grafana.example.com/");
    expect(find(objectsOf("prod"), "Service", "grafana")!.spec.ports).toEqual([{ name: "http", port: 80, targetPort: 3000, protocol: "TCP" }]);
    const nodePort = find(objectsOf("dev"), "Service", "grafana-external")!;
    expect([nodePort.spec.type, nodePort.spec.ports[0].nodePort, nodePort.spec.ports[0].targetPort]).toEqual(["NodePort", 30300, 3000]);
  });
});

describe("the provisioned dashboards", () => {
  const dashboardsOf = (environment: string) =>
    objectsOf(environment)
      .filter((object) => object.kind === "ConfigMap" && object.metadata.name.startsWith("grafana-dashboard-") && object.metadata.name !== "grafana-dashboard-provider")
      .flatMap((map) => Object.values(map.data as Record<string, string>).map((text) => JSON.parse(text) as Json));

  /** Every datasource reference of a dashboard: panels (rows' nested panels too), their targets, variables. */
  const referencedUids = (dashboard: Json): string[] => {
    const panels = (dashboard.panels as Json[]).flatMap((panel) => [panel, ...((panel.panels as Json[] | undefined) ?? [])]);
    const refs = [...panels.flatMap((panel) => [panel.datasource, ...((panel.targets as Json[] | undefined) ?? []).map((target) => target.datasource)]), ...((dashboard.templating?.list as Json[] | undefined) ?? []).map((variable) => variable.datasource)];
    return refs.filter((ref) => ref?.uid !== undefined).map((ref) => ref.uid as string);
  };

  it.each(["dev", "prod"])("%s: four, one ConfigMap each, mounted where the provider reads them; every datasource they use is provisioned", (environment) => {
    const dashboards = dashboardsOf(environment);
    expect(dashboards.map((dashboard) => dashboard.uid).sort()).toEqual(["ob-application", "ob-application-logs", "ob-kubernetes-cluster", "ob-order-analytics"]);
    const provisioned = datasourcesOf(environment).map((source) => source.uid);
    for (const dashboard of dashboards) expect(referencedUids(dashboard).filter((uid) => !provisioned.includes(uid)), dashboard.uid).toEqual([]);
    expect(new Set(dashboards.flatMap(referencedUids))).toEqual(new Set(provisioned));
    const provider = parse(find(objectsOf(environment), "ConfigMap", "grafana-dashboard-provider")!.data["dashboards.yaml"]).providers[0];
    expect(provider).toMatchObject({ folder: "Online Boutique", folderUid: "online-boutique", type: "file", allowUiUpdates: false, options: { path: mounts(environment).dashboards } });
    expect(volumes(environment).dashboards!.projected.sources.map((source: Json) => source.configMap.name)).toHaveLength(4);
  });
});

describe("dashboard files from templates (the render bundle carries no SDK)", () => {
  it.each([
    { app: "microservices-demo", monitoring: "monitoring" },
    { app: "shop", monitoring: "shop-monitoring" },
    { app: "monitoring-app", monitoring: "app" },
  ])("for namespaces $app and $monitoring, the same text the SDK builds for them", async ({ app, monitoring }) => {
    const { dashboardFiles } = await import("../apps/grafana/dashboard-files");
    const { datasourceUids, grafanaDashboards } = await import("../apps/grafana/dashboards");
    expect(dashboardFiles({ app, monitoring })).toEqual(grafanaDashboards({ namespaces: { app, monitoring }, datasources: datasourceUids }));
  });
});
