import { servicePorts } from "../policies/contract";
import { address, boutiqueApp } from "./lib/boutique";
import { grpcProbe } from "./lib/workload";

const port = servicePorts.recommendationservice.containerPort;

export const recommendationservice = boutiqueApp({
  name: "recommendationservice",
  component: "recommendation",
  terminationGracePeriodSeconds: 5,
  env: () => ({ PRODUCT_CATALOG_SERVICE_ADDR: address("productcatalogservice"), DISABLE_PROFILER: "1" }),
  readinessProbe: grpcProbe(port, { periodSeconds: 5 }),
  livenessProbe: grpcProbe(port, { periodSeconds: 5 }),
});
