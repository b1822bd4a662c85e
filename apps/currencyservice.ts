import { boutiqueApp } from "./lib/boutique";

export const currencyservice = boutiqueApp({
  name: "currencyservice",
  component: "currency",
  terminationGracePeriodSeconds: 5,
  env: () => ({ DISABLE_PROFILER: "1" }),
});
