import { boutiqueApp, boutiquePort } from "./lib/boutique";
import { grpcProbe } from "./lib/workload";

const { port } = boutiquePort("emailservice");

export const emailservice = boutiqueApp({
  name: "emailservice",
  component: "email",
  terminationGracePeriodSeconds: 5,
  env: () => ({ DISABLE_PROFILER: "1" }),
  readinessProbe: grpcProbe(port, { periodSeconds: 5 }),
  livenessProbe: grpcProbe(port, { periodSeconds: 5 }),
});
