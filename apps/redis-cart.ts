import { workloadApp } from "./lib/app";
import { clusterService } from "./lib/service";
import { deployment, tcpProbe } from "./lib/workload";
import { portOf } from "../core/contract/index";

const { port } = portOf("redis-cart", "redis");
const exporterPort = portOf("redis-cart", "metrics").port;

/** Cart storage as upstream: one in-memory Redis (no persistence: carts are session data); Sentinel mode replaces it (apps/redis-ha.ts). */
export const redisCart = workloadApp({
  name: "redis-cart",
  component: "cache",
  workloads: ["redis-cart"],
  render: (context) => [
    ...deployment(context, {
      name: "redis-cart",
      containers: [
        {
          name: "redis",
          readinessProbe: tcpProbe(port, { periodSeconds: 5 }),
          livenessProbe: tcpProbe(port, { periodSeconds: 5 }),
          volumeMounts: [{ name: "redis-data", mountPath: "/data" }],
        },
        {
          name: "redis-exporter",
          env: [{ name: "REDIS_ADDR", value: `redis://localhost:${port}` }],
          readinessProbe: tcpProbe(exporterPort),
          livenessProbe: tcpProbe(exporterPort, { periodSeconds: 30 }),
        },
      ],
      volumes: [{ name: "redis-data", emptyDir: {} }],
    }),
    clusterService(context, "redis-cart", "redis"),
  ],
});
