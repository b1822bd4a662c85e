import { servicePorts } from "../policies/contract";
import { grpcProbe } from "./lib/workload";
import { boutiqueApp } from "./lib/boutique";

const port = servicePorts.emailservice.containerPort;

export const emailservice = boutiqueApp({
  name: "emailservice",
  component: "email",
  terminationGracePeriodSeconds: 5,
  env: () => ({ DISABLE_PROFILER: "1" }),
  readinessProbe: grpcProbe(port, { periodSeconds: 5 }),
  livenessProbe: grpcProbe(port, { periodSeconds: 5 }),
});
