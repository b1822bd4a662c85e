import { boutiqueApp, boutiquePort } from "./lib/boutique";
import { address } from "./lib/service";
import { grpcProbe } from "./lib/workload";

const { port } = boutiquePort("recommendationservice");

export const recommendationservice = boutiqueApp({
  name: "recommendationservice",
  component: "recommendation",
  terminationGracePeriodSeconds: 5,
  env: () => ({ PRODUCT_CATALOG_SERVICE_ADDR: address("recommendationservice", "productcatalogservice"), DISABLE_PROFILER: "1" }),
  readinessProbe: grpcProbe(port, { periodSeconds: 5 }),
  livenessProbe: grpcProbe(port, { periodSeconds: 5 }),
});
