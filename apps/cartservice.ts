import { servicePorts } from "../policies/contract";
import { boutiqueApp } from "./lib/boutique";
import { grpcProbe } from "./lib/workload";
import { cartRedisPasswordEnv, sentinelRedisAddress } from "./redis-ha";

const port = servicePorts.cartservice.containerPort;

// REDIS_ADDR is a StackExchange.Redis configuration string: the single redis-cart Service, or in
// Sentinel mode the sentinels plus the master group's name, so carts follow a failover.
export const cartservice = boutiqueApp({
  name: "cartservice",
  component: "cart",
  terminationGracePeriodSeconds: 5,
  portVariable: false,
  secretEnv: (context) => (context.settings.dataTier.redisSentinel ? [cartRedisPasswordEnv] : []),
  env: (context) => ({ REDIS_ADDR: context.settings.dataTier.redisSentinel ? sentinelRedisAddress() : `redis-cart:${servicePorts["redis-cart"].servicePort}` }),
  readinessProbe: grpcProbe(port, { initialDelaySeconds: 15 }),
  livenessProbe: grpcProbe(port, { initialDelaySeconds: 15, periodSeconds: 10 }),
});
