// Carts in production: 3 Redis (one master, two replicas) watched by 3 Sentinels (quorum 2),
// official image, AUTH from the redis-auth Secret (never in Git), names announced instead of
// pod IPs, a redis_exporter beside each Redis. cartservice finds the master through the
// sentinels, so carts follow a failover.
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import { portOf, records, redisSentinel, secrets, type WorkloadName } from "../core/contract/index";
import { parseBytes } from "../core/quantity";
import { namespaceOf, workloadApp, type RenderContext } from "./lib/app";
import { address, clusterService, headlessService } from "./lib/service";
import { podHost, podHosts, statefulSet, tcpProbe, type ContainerSpec } from "./lib/workload";
import { redisConf, redisInitScript, redisPreStopScript, sentinelInitScript } from "./redis-scripts";

const redisPort = portOf("redis", "redis").port;
const sentinelPort = portOf("redis-sentinel", "sentinel").port;
const exporterPort = portOf("redis", "metrics").port;
const sentinelExporterPort = portOf("redis-sentinel", "metrics").port;
/** A master unreachable this long is down (when the quorum agrees); failover follows. */
const downAfterMilliseconds = 5000;
const failoverTimeoutMilliseconds = 60000;
/** How long a stopping master waits for the sentinels to promote a replica (preStop). */
const handoverWaitSeconds = 20;
/** How long a pod back on an empty volume waits for the sentinels to promote a replica (init). */
const failoverWaitSeconds = 30;

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
    data: {
      "redis.conf": redisConf(parseBytes(records.redis.containers.redis!.resources.limits.memory)),
      "redis-init.sh": redisInitScript,
      "redis-prestop.sh": redisPreStopScript,
      "sentinel-init.sh": sentinelInitScript,
    },
  });
}

/** Init container that writes a pod's configuration with `script`; it announces the pod by its name behind `headless`. */
function configInit(context: RenderContext, workload: WorkloadName, script: string, headless: string, variables: Record<string, string | number>, extraMounts: ContainerSpec["volumeMounts"] = []): ContainerSpec {
  return {
    name: "config-init",
    command: ["sh", `/scripts/${script}`],
    env: [
      podNameEnv,
      passwordEnv,
      selfHost(context, workload, headless),
      ...plainEnv(variables),
    ],
    volumeMounts: [...scriptMounts, ...extraMounts],
  };
}

/** This pod's name behind its headless Service (POD_NAME must come first in env for $(VAR) expansion). */
const selfHost = (context: RenderContext, workload: WorkloadName, headless: string): IEnvVar => ({ name: "SELF_HOST", value: podHost(context, workload, "$(POD_NAME)", headless) });

const plainEnv = (variables: Record<string, string | number>): IEnvVar[] => Object.entries(variables).map(([name, value]) => ({ name, value: String(value) }));


function redisServers(context: RenderContext) {
  const sentinelAccess = { SENTINEL_HOST: sentinelService, SENTINEL_PORT: sentinelPort, MASTER_NAME: redisSentinel.masterName, REDIS_PORT: redisPort };
  return statefulSet(context, {
    name: "redis",
    serviceName: redisHeadless,
    // The preStop handover, then Redis' own shutdown (an AOF fsync).
    terminationGracePeriodSeconds: handoverWaitSeconds + 25,
    initContainers: [
      configInit(
        context,
        "redis",
        "redis-init.sh",
        redisHeadless,
        {
          ...sentinelAccess,
          INITIAL_MASTER_HOST: podHost(context, "redis", "redis-0", redisHeadless),
          REDIS_PEERS: podHosts(context, "redis", redisHeadless).join(" "),
          DATA_DIR: "/data",
          FAILOVER_WAIT_SECONDS: failoverWaitSeconds,
          CONF_DIR: "/conf",
          BASE_CONF: "/scripts/redis.conf",
        },
        [{ name: "data", mountPath: "/data", readOnly: true }],
      ),
    ],
    containers: [
      {
        name: "redis",
        command: ["redis-server", "/conf/redis.conf"],
        env: [podNameEnv, passwordEnv, selfHost(context, "redis", redisHeadless), ...plainEnv({ ...sentinelAccess, HANDOVER_WAIT_SECONDS: handoverWaitSeconds })],
        lifecycle: { preStop: { exec: { command: ["sh", "/scripts/redis-prestop.sh"] } } },
        readinessProbe: tcpProbe(redisPort, { periodSeconds: 5 }),
        livenessProbe: tcpProbe(redisPort, { periodSeconds: 10 }),
        volumeMounts: [...scriptMounts, { name: "data", mountPath: "/data" }],
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
  const peers = podHosts(context, "redis-sentinel", sentinelHeadless);
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
      {
        name: "sentinel-exporter",
        env: [passwordEnv, { name: "REDIS_ADDR", value: `redis://localhost:${sentinelPort}` }],
        readinessProbe: tcpProbe(sentinelExporterPort),
        livenessProbe: tcpProbe(sentinelExporterPort, { periodSeconds: 30 }),
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
