import { servicePorts } from "../policies/contract";
import type { App } from "./lib/app";
import { clusterService, deployment } from "./lib/workload";

// Official image, pinned; Bitnami's free images were withdrawn in 2025.
export const redisImage = "redis:7.4.6-alpine";
const port = servicePorts["redis-cart"].containerPort;

/** Cart storage as upstream: one in-memory Redis (no persistence: carts are session data); replaced by Sentinel mode (apps/redis-ha.ts). */
export const redisCart: App = {
  name: "redis-cart",
  group: "data",
  component: "cache",
  render: (context) => context.settings.dataTier.redisSentinel ? [] : [
    ...deployment(context, {
      name: "redis-cart",
      containers: [
        {
          name: "redis",
          image: redisImage,
          ports: [{ name: "redis", containerPort: port, protocol: "TCP" }],
          readinessProbe: { periodSeconds: 5, tcpSocket: { port } },
          livenessProbe: { periodSeconds: 5, tcpSocket: { port } },
          volumeMounts: [{ name: "redis-data", mountPath: "/data" }],
        },
      ],
      volumes: [{ name: "redis-data", emptyDir: {} }],
    }),
    clusterService(context, "redis-cart", servicePorts["redis-cart"].servicePort, port, "redis"),
  ],
};
