// The order persistence service (services/order-persistence): checkout's order confirmations
// land here, are stored in PostgreSQL, then forwarded to the real emailservice. A StatefulSet,
// so each replica has its own spool volume for orders taken while PostgreSQL is unreachable.
import { portOf } from "../core/contract/index";
import { workloadApp } from "./lib/app";
import { address, clusterService, headlessService } from "./lib/service";
import { statefulSet, tcpProbe } from "./lib/workload";
import { connectionEnv } from "./postgres";

const port = portOf("order-persistence", "grpc").port;
const metricsPort = portOf("order-persistence", "metrics").port;
const headless = "order-persistence-headless";
const spoolDir = "/var/spool/orders";

export const orderPersistence = workloadApp({
  name: "order-persistence",
  component: "order-store",
  workloads: ["order-persistence"],
  render: (context) => [
    ...statefulSet(context, {
      name: "order-persistence",
      serviceName: headless,
      // Drain in-flight calls and flush the pool before exit (the service handles SIGTERM).
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: "server",
          env: [
            { name: "PORT", value: String(port) },
            { name: "METRICS_PORT", value: String(metricsPort) },
            { name: "EMAIL_SERVICE_ADDR", value: address("order-persistence", "emailservice") },
            { name: "SPOOL_DIR", value: spoolDir },
            ...connectionEnv("order-persistence", "postgres"),
          ],
          // TCP, not gRPC health: the service reports NOT_SERVING until PostgreSQL has been
          // migrated, yet it takes orders (into its spool) all along — that is what the spool is for.
          readinessProbe: tcpProbe(port, { periodSeconds: 5 }),
          livenessProbe: tcpProbe(port, { periodSeconds: 15, initialDelaySeconds: 10 }),
          volumeMounts: [{ name: "order-spool", mountPath: spoolDir }],
        },
      ],
    }),
    headlessService(context, "order-persistence", "grpc", headless),
    clusterService(context, "order-persistence", "grpc"),
  ],
});
