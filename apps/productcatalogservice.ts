import { boutiqueApp } from "./lib/boutique";

export const productcatalogservice = boutiqueApp({
  name: "productcatalogservice",
  component: "catalog",
  terminationGracePeriodSeconds: 5,
  env: () => ({ DISABLE_PROFILER: "1" }),
});
