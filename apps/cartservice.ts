import { servicePorts } from "../policies/contract";
import { boutiqueApp } from "./lib/boutique";
import { grpcProbe } from "./lib/workload";

const port = servicePorts.cartservice.containerPort;

// REDIS_ADDR is a StackExchange.Redis configuration string; in this release it names the
// single redis-cart Service (the Sentinel form comes with the HA data tier).
export const cartservice = boutiqueApp({
  name: "cartservice",
  component: "cart",
  terminationGracePeriodSeconds: 5,
  portVariable: false,
  env: () => ({ REDIS_ADDR: `redis-cart:${servicePorts["redis-cart"].servicePort}` }),
  readinessProbe: grpcProbe(port, { initialDelaySeconds: 15 }),
  livenessProbe: grpcProbe(port, { initialDelaySeconds: 15, periodSeconds: 10 }),
});
