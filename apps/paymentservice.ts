import { boutiqueApp } from "./lib/boutique";

export const paymentservice = boutiqueApp({
  name: "paymentservice",
  component: "payment",
  terminationGracePeriodSeconds: 5,
  env: () => ({ DISABLE_PROFILER: "1" }),
});
