import { boutiqueApp, boutiquePort } from "./lib/boutique";
import { grpcProbe } from "./lib/workload";

const { port } = boutiquePort("adservice");

// The JVM starts slowly: upstream waits 20 s before the first probe.
export const adservice = boutiqueApp({
  name: "adservice",
  component: "ads",
  terminationGracePeriodSeconds: 5,
  env: () => ({}),
  readinessProbe: grpcProbe(port, { initialDelaySeconds: 20, periodSeconds: 15 }),
  livenessProbe: grpcProbe(port, { initialDelaySeconds: 20, periodSeconds: 15 }),
});
