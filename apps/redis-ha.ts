// Carts in production: 3 Redis (one master, two replicas) watched by 3 Sentinels (quorum 2),
// official image, AUTH from the redis-auth Secret (never in Git), names announced instead of
// pod IPs, a redis_exporter beside each Redis. cartservice finds the master through the
// sentinels, so carts follow a failover.
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import { redisSentinel, servicePorts } from "../policies/contract";
import type { App, RenderContext } from "./lib/app";
import { clusterService, headlessService, podHost, replicaCount, statefulSet, type ContainerSpec } from "./lib/workload";
import { redisImage } from "./redis-cart";
import { redisConf, redisInitScript, sentinelInitScript } from "./redis-scripts";

export const redisExporterImage = "oliver006/redis_exporter:v1.88.0";
export const redisAuthSecret = { name: "redis-auth", key: "password" } as const;
const redisPort = servicePorts.redis.containerPort;
const sentinelPort = servicePorts["redis-sentinel"].containerPort;
const exporterPort = 9121;
/** A master unreachable this long is down (when the quorum agrees); failover follows. */
export const downAfterMilliseconds = 5000;
const failoverTimeoutMilliseconds = 60000;

export const redisHeadless = "redis-headless";
export const sentinelHeadless = "redis-sentinel-headless";
export const sentinelService = "redis-sentinel";

const passwordEnv: IEnvVar = { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: redisAuthSecret.name, key: redisAuthSecret.key } } };
const podNameEnv: IEnvVar = { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } };

const scriptsVolume = { name: "scripts", configMap: { name: "redis-scripts" } };
const confVolume = { name: "conf", emptyDir: { sizeLimit: "1Mi" } };
const scriptMounts = [
  { name: "scripts", mountPath: "/scripts", readOnly: true },
  { name: "conf", mountPath: "/conf" },
];

function scripts(context: RenderContext): ConfigMap {
  return new ConfigMap({
    metadata: { name: "redis-scripts", namespace: context.settings.namespaces.app },
    data: { "redis.conf": redisConf, "redis-init.sh": redisInitScript, "sentinel-init.sh": sentinelInitScript },
  });
}

/** Init container that writes a pod's configuration with `script`; it announces the pod by its name behind `headless`. */
function configInit(context: RenderContext, script: string, headless: string, variables: Record<string, string | number>): ContainerSpec {
  return {
    name: "config-init",
    image: redisImage,
    command: ["sh", `/scripts/${script}`],
    env: [
      podNameEnv,
      passwordEnv,
      { name: "SELF_HOST", value: podHost(context, "$(POD_NAME)", headless) },
      ...Object.entries(variables).map(([name, value]) => ({ name, value: String(value) })),
    ],
    volumeMounts: scriptMounts,
  };
}

function redisServers(context: RenderContext) {
  return statefulSet(context, {
    name: "redis",
    serviceName: redisHeadless,
    podAnnotations: { "prometheus.io/scrape": "true", "prometheus.io/port": String(exporterPort) },
    initContainers: [
      configInit(context, "redis-init.sh", redisHeadless, {
        INITIAL_MASTER_HOST: podHost(context, "redis-0", redisHeadless),
        REDIS_PORT: redisPort,
        SENTINEL_HOST: sentinelService,
        SENTINEL_PORT: sentinelPort,
        MASTER_NAME: redisSentinel.masterName,
        CONF_DIR: "/conf",
        BASE_CONF: "/scripts/redis.conf",
      }),
    ],
    containers: [
      {
        name: "redis",
        image: redisImage,
        command: ["redis-server", "/conf/redis.conf"],
        ports: [{ name: "redis", containerPort: redisPort, protocol: "TCP" }],
        readinessProbe: { periodSeconds: 5, tcpSocket: { port: redisPort } },
        livenessProbe: { periodSeconds: 10, tcpSocket: { port: redisPort } },
        volumeMounts: [
          { name: "conf", mountPath: "/conf" },
          { name: "data", mountPath: "/data" },
        ],
      },
      {
        name: "redis-exporter",
        image: redisExporterImage,
        env: [passwordEnv, { name: "REDIS_ADDR", value: `redis://localhost:${redisPort}` }],
        ports: [{ name: "metrics", containerPort: exporterPort, protocol: "TCP" }],
        readinessProbe: { tcpSocket: { port: exporterPort } },
        livenessProbe: { periodSeconds: 30, tcpSocket: { port: exporterPort } },
      },
    ],
    volumes: [scriptsVolume, confVolume, { name: "data", emptyDir: { sizeLimit: "512Mi" } }],
  });
}

function sentinels(context: RenderContext) {
  const peers = Array.from({ length: replicaCount(context, "redis-sentinel") }, (_, i) => podHost(context, `redis-sentinel-${i}`, sentinelHeadless));
  return statefulSet(context, {
    name: "redis-sentinel",
    serviceName: sentinelHeadless,
    initContainers: [
      configInit(context, "sentinel-init.sh", sentinelHeadless, {
        SENTINEL_PEERS: peers.join(" "),
        SENTINEL_PORT: sentinelPort,
        REDIS_PORT: redisPort,
        INITIAL_MASTER_HOST: podHost(context, "redis-0", redisHeadless),
        MASTER_NAME: redisSentinel.masterName,
        QUORUM: redisSentinel.quorum,
        DOWN_AFTER_MS: downAfterMilliseconds,
        FAILOVER_TIMEOUT_MS: failoverTimeoutMilliseconds,
        CONF_DIR: "/conf",
      }),
    ],
    containers: [
      {
        name: "sentinel",
        image: redisImage,
        command: ["redis-sentinel", "/conf/sentinel.conf"],
        ports: [{ name: "sentinel", containerPort: sentinelPort, protocol: "TCP" }],
        readinessProbe: { periodSeconds: 5, tcpSocket: { port: sentinelPort } },
        livenessProbe: { periodSeconds: 10, tcpSocket: { port: sentinelPort } },
        volumeMounts: [{ name: "conf", mountPath: "/conf" }],
      },
    ],
    volumes: [scriptsVolume, confVolume],
  });
}

/** cartservice's REDIS_ADDR for Sentinel mode; REDIS_PASSWORD must come before it in env for $(VAR) expansion. */
export function sentinelRedisAddress(): string {
  return `${sentinelService}:${sentinelPort},serviceName=${redisSentinel.masterName},password=$(REDIS_PASSWORD)`;
}
export const cartRedisPasswordEnv = passwordEnv;

export const redisHa: App = {
  name: "redis",
  group: "data",
  component: "cache",
  render: (context) =>
    context.settings.dataTier.redisSentinel
      ? [
          scripts(context),
          ...redisServers(context),
          headlessService(context, redisHeadless, "redis", redisPort, "redis"),
          ...sentinels(context),
          headlessService(context, sentinelHeadless, "redis-sentinel", sentinelPort, "sentinel"),
          clusterService(context, sentinelService, sentinelPort, sentinelPort, "sentinel"),
        ]
      : [],
};
