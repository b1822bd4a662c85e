import { boutiqueApp, boutiquePort } from "./lib/boutique";
import { address } from "./lib/service";
import { grpcProbe } from "./lib/workload";
import { cartRedisPasswordEnv, sentinelRedisAddress } from "./redis-ha";

const { port } = boutiquePort("cartservice");

// REDIS_ADDR is a StackExchange.Redis configuration string: the single redis-cart Service, or in
// Sentinel mode the sentinels plus the master group's name, so carts follow a failover.
export const cartservice = boutiqueApp({
  name: "cartservice",
  component: "cart",
  terminationGracePeriodSeconds: 5,
  portVariable: false,
  secretEnv: (context) => (context.deployed.has("redis-sentinel") ? [cartRedisPasswordEnv] : []),
  env: (context) => ({ REDIS_ADDR: context.deployed.has("redis-sentinel") ? sentinelRedisAddress() : address("cartservice", "redis-cart") }),
  readinessProbe: grpcProbe(port, { initialDelaySeconds: 15 }),
  livenessProbe: grpcProbe(port, { initialDelaySeconds: 15, periodSeconds: 10 }),
});
