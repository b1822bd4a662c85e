// Carts in production: 3 Redis (one master, two replicas) watched by 3 Sentinels (quorum 2),
// official image, AUTH from the redis-auth Secret (never in Git), names announced instead of
// pod IPs, a redis_exporter beside each Redis. cartservice finds the master through the
// sentinels, so carts follow a failover.
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import { portOf, redisSentinel, secrets, type WorkloadName } from "../core/contract/index";
import { replicaCount } from "../core/settings/topology";
import { namespaceOf, workloadApp, type RenderContext } from "./lib/app";
import { address, clusterService, headlessService } from "./lib/service";
import { podHost, statefulSet, tcpProbe, type ContainerSpec } from "./lib/workload";
import { redisConf, redisInitScript, sentinelInitScript } from "./redis-scripts";

const redisPort = portOf("redis", "redis").port;
const sentinelPort = portOf("redis-sentinel", "sentinel").port;
const exporterPort = portOf("redis", "metrics").port;
/** A master unreachable this long is down (when the quorum agrees); failover follows. */
const downAfterMilliseconds = 5000;
const failoverTimeoutMilliseconds = 60000;

const redisHeadless = "redis-headless";
const sentinelHeadless = "redis-sentinel-headless";
const sentinelService = "redis-sentinel";

const passwordEnv: IEnvVar = { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: secrets.redisAuth.name, key: secrets.redisAuth.keys.password } } };
const podNameEnv: IEnvVar = { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } };

const scriptsVolume = { name: "scripts", configMap: { name: "redis-scripts" } };
const confVolume = { name: "conf", emptyDir: { sizeLimit: "1Mi" } };
const scriptMounts = [
  { name: "scripts", mountPath: "/scripts", readOnly: true },
  { name: "conf", mountPath: "/conf" },
];

function scripts(context: RenderContext): ConfigMap {
  return new ConfigMap({
    metadata: { name: "redis-scripts", namespace: namespaceOf(context, "redis") },
    data: { "redis.conf": redisConf, "redis-init.sh": redisInitScript, "sentinel-init.sh": sentinelInitScript },
  });
}

/** Init container that writes a pod's configuration with `script`; it announces the pod by its name behind `headless`. */
function configInit(context: RenderContext, workload: WorkloadName, script: string, headless: string, variables: Record<string, string | number>): ContainerSpec {
  return {
    name: "config-init",
    command: ["sh", `/scripts/${script}`],
    env: [
      podNameEnv,
      passwordEnv,
      { name: "SELF_HOST", value: podHost(context, workload, "$(POD_NAME)", headless) },
      ...Object.entries(variables).map(([name, value]) => ({ name, value: String(value) })),
    ],
    volumeMounts: scriptMounts,
  };
}

function redisServers(context: RenderContext) {
  return statefulSet(context, {
    name: "redis",
    serviceName: redisHeadless,
    initContainers: [
      configInit(context, "redis", "redis-init.sh", redisHeadless, {
        INITIAL_MASTER_HOST: podHost(context, "redis", "redis-0", redisHeadless),
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
        command: ["redis-server", "/conf/redis.conf"],
        readinessProbe: tcpProbe(redisPort, { periodSeconds: 5 }),
        livenessProbe: tcpProbe(redisPort, { periodSeconds: 10 }),
        volumeMounts: [
          { name: "conf", mountPath: "/conf" },
          { name: "data", mountPath: "/data" },
        ],
      },
      {
        name: "redis-exporter",
        env: [passwordEnv, { name: "REDIS_ADDR", value: `redis://localhost:${redisPort}` }],
        readinessProbe: tcpProbe(exporterPort),
        livenessProbe: tcpProbe(exporterPort, { periodSeconds: 30 }),
      },
    ],
    volumes: [scriptsVolume, confVolume, { name: "data", emptyDir: { sizeLimit: "512Mi" } }],
  });
}

function sentinels(context: RenderContext) {
  const peers = Array.from({ length: replicaCount(context.settings, "redis-sentinel") }, (_, i) => podHost(context, "redis-sentinel", `redis-sentinel-${i}`, sentinelHeadless));
  return statefulSet(context, {
    name: "redis-sentinel",
    serviceName: sentinelHeadless,
    initContainers: [
      configInit(context, "redis-sentinel", "sentinel-init.sh", sentinelHeadless, {
        SENTINEL_PEERS: peers.join(" "),
        SENTINEL_PORT: sentinelPort,
        REDIS_PORT: redisPort,
        INITIAL_MASTER_HOST: podHost(context, "redis", "redis-0", redisHeadless),
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
        command: ["redis-sentinel", "/conf/sentinel.conf"],
        readinessProbe: tcpProbe(sentinelPort, { periodSeconds: 5 }),
        livenessProbe: tcpProbe(sentinelPort, { periodSeconds: 10 }),
        volumeMounts: [{ name: "conf", mountPath: "/conf" }],
      },
    ],
    volumes: [scriptsVolume, confVolume],
  });
}

/** cartservice's REDIS_ADDR for Sentinel mode; REDIS_PASSWORD must come before it in env for $(VAR) expansion. */
export function sentinelRedisAddress(): string {
  return `${address("cartservice", "redis-sentinel", sentinelService)},serviceName=${redisSentinel.masterName},password=$(REDIS_PASSWORD)`;
}
export const cartRedisPasswordEnv = passwordEnv;

export const redisHa = workloadApp({
  name: "redis",
  component: "cache",
  workloads: ["redis", "redis-sentinel"],
  render: (context) => [
    scripts(context),
    ...redisServers(context),
    headlessService(context, "redis", "redis", redisHeadless),
    ...sentinels(context),
    headlessService(context, "redis-sentinel", "sentinel", sentinelHeadless),
    clusterService(context, "redis-sentinel", "sentinel", { name: sentinelService }),
  ],
});
