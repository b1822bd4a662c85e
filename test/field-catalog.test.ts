// The strict pass knows fields from field-catalog.json; it must match the installed
// kubernetes-models declarations, or a bump would silently weaken (or break) validation.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildFieldCatalog, catalogPath, serializeCatalog } from "../core/validate/field-catalog-build";

describe("field catalog", () => {
  it("is up to date with the installed kubernetes-models (run `npm run catalog` after a bump)", () => {
    const fresh = serializeCatalog(buildFieldCatalog());
    expect(fresh === readFileSync(catalogPath, "utf8")).toBe(true);
  });

  it("covers the core workload kinds and Argo CD's CRDs", () => {
    const catalog = JSON.parse(readFileSync(catalogPath, "utf8"));
    for (const kind of ["apps/v1/Deployment", "v1/Service", "policy/v1/PodDisruptionBudget", "autoscaling/v2/HorizontalPodAutoscaler", "argoproj.io/v1alpha1/Application", "argoproj.io/v1alpha1/AppProject"]) {
      expect(catalog.kinds[kind], kind).toBeDefined();
    }
  });
});
