// Some rules need the environment's settings (allowed registry, storage class, availability
// level). A tree checked without them is reported, so a skipped check is never silent.
import type { Rule } from "../engine/types";

export const environmentRules: Rule[] = [
  {
    id: "POL001",
    theme: "schema",
    severity: "warning",
    title: "the environment's settings are known",
    fix: "Name the environment with --env (or check a directory named after it) so environments/<env>/settings.yaml is read.",
    check: ({ settings, environment, root }) =>
      settings ? [] : [{ manifest: { file: root }, message: `no environments/${environment}/settings.yaml: only the contract's registries are allowed (IMG002), storage class (STO002) and minimum replicas (AVL001) are not checked` }],
  },
];
