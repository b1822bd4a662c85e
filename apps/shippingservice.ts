import { boutiqueApp } from "./lib/boutique";

export const shippingservice = boutiqueApp({
  name: "shippingservice",
  component: "shipping",
  env: () => ({ DISABLE_PROFILER: "1" }),
});
