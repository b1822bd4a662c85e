// The order persistence service (services/order-persistence): checkout's order confirmations
// land here, are stored in PostgreSQL, then forwarded to the real emailservice. A StatefulSet,
// so each replica has its own spool volume for orders taken while PostgreSQL is unreachable.
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import { servicePorts } from "../policies/contract";
import type { App } from "./lib/app";
import { address } from "./lib/boutique";
import { claimSpec, clusterService, headlessService, statefulSet } from "./lib/workload";
import { database, postgresSecret } from "./postgres";

const port = servicePorts["order-persistence"].containerPort;
const metricsPort = 9464;
const headless = "order-persistence-headless";

export const orderPersistence: App = {
  name: "order-persistence",
  group: "data",
  component: "order-store",
  render: (context) => {
    const env: IEnvVar[] = [
      { name: "PORT", value: String(port) },
      { name: "METRICS_PORT", value: String(metricsPort) },
      { name: "EMAIL_SERVICE_ADDR", value: address("emailservice") },
      { name: "SPOOL_DIR", value: "/var/spool/orders" },
      { name: "PGHOST", value: "postgres" },
      { name: "PGPORT", value: String(servicePorts.postgres.servicePort) },
      { name: "PGUSER", value: database.user },
      { name: "PGDATABASE", value: database.name },
      { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: postgresSecret.name, key: postgresSecret.passwordKey } } },
    ];
    return [
      ...statefulSet(context, {
        name: "order-persistence",
        serviceName: headless,
        // Drain in-flight calls and flush the pool before exit (the service handles SIGTERM).
        terminationGracePeriodSeconds: 30,
        podAnnotations: { "prometheus.io/scrape": "true", "prometheus.io/port": String(metricsPort) },
        containers: [
          {
            name: "server",
            image: context.settings.images.orderPersistence,
            env,
            ports: [
              { name: "grpc", containerPort: port, protocol: "TCP" },
              { name: "metrics", containerPort: metricsPort, protocol: "TCP" },
            ],
            // TCP, not gRPC health: the service reports NOT_SERVING until PostgreSQL has been
            // migrated, yet it takes orders (into its spool) all along — that is what the spool is for.
            readinessProbe: { periodSeconds: 5, tcpSocket: { port } },
            livenessProbe: { periodSeconds: 15, initialDelaySeconds: 10, tcpSocket: { port } },
            volumeMounts: [{ name: "order-spool", mountPath: "/var/spool/orders" }],
          },
        ],
        volumeClaimTemplates: [{ metadata: { name: "order-spool" }, spec: claimSpec(context, "order-spool") }],
      }),
      headlessService(context, headless, "order-persistence", port, "grpc"),
      clusterService(context, "order-persistence", servicePorts["order-persistence"].servicePort, port),
    ];
  },
};
