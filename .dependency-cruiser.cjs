// The import graph runs one way (README "Layout"): core is the ground floor and imports nothing
// of ours; apps stand on core; the pipeline (generator) on apps and core; policies on core only;
// services/ is the source of our own image and stands alone; the bench scripts (generator/bench*)
// and the rendered diff (generator/diff/, which renders and runs the policy engine) are the top floor. test/architecture.test.ts runs
// these rules in `npm test`; `npx depcruise --config .dependency-cruiser.cjs core apps generator policies services` prints them.
const folders = "^(core|apps|generator|policies|services|test)/";

/** A rule that `from` (except `fromNot`) may import none of `to`. */
function only(name, comment, from, to, fromNot) {
  return { name, comment, severity: "error", from: { path: from, ...(fromNot ? { pathNot: fromNot } : {}) }, to: { path: to } };
}

module.exports = {
  forbidden: [
    only("core-is-the-ground-floor", "core/ (contract, settings, YAML, validation) imports nothing of ours above it", "^core/", "^(apps|generator|policies|services|test)/"),
    only("apps-stand-on-core", "apps/ build from the contract and settings (core/) only; the pipeline calls them, not the other way round", "^apps/", "^(generator|policies|services|test)/"),
    // The bench scripts are the top floor, like the CLIs: they start engines, services and both CLIs.
    only("generator-stands-on-apps-and-core", "the pipeline renders apps; it does not use the policy engine", "^generator/", "^(policies|services|test)/", "^generator/(bench|diff/)"),
    only("policies-stand-on-core", "policies judge rendered YAML against the contract, never generator or app internals", "^policies/", "^(apps|generator|services|test)/"),
    only("services-stand-alone", "services/ is the source of our own image: it imports nothing of the repository", "^services/", "^(core|apps|generator|policies|test)/"),
    only("contract-is-data", "the contract is data: it uses no settings, YAML or validation", "^core/contract/", "^core/(settings|validate|yaml)/"),
    only("builders-below-app-modules", "apps/lib (builders) is used by app modules, never the reverse", "^apps/lib/", "^apps/[^/]+$"),
    only("policy-engine-below-rules", "the engine runs rules; it does not know them", "^policies/(engine|network)/", "^policies/(rules|cli|report)"),
    {
      name: "no-cycles",
      comment: "modules that import each other (directly or through others)",
      severity: "error",
      from: { path: folders },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|rendered)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".mts", ".mjs", ".js", ".json"] },
  },
};
