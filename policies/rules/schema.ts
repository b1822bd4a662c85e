// The generator's validation, run on the rendered files themselves: a hand edit with a typo in
// rendered/ fails the policy run, not only the next render.
import { validateObject } from "../../core/validate/models";
import type { Rule } from "../engine/types";

export const schemaRules: Rule[] = [
  {
    id: "SCH001",
    theme: "schema",
    severity: "error",
    title: "files are Kubernetes objects in valid YAML",
    fix: "Fix the YAML, or remove the file: every file under rendered/ is applied by Argo CD.",
    check: ({ loadProblems }) => loadProblems,
  },
  {
    id: "SCH003",
    theme: "schema",
    severity: "error",
    title: "the tree holds Kubernetes objects",
    fix: "Point the policy run at a rendered tree (rendered/<env>, or a copy of it): an empty one proves nothing.",
    check: ({ manifests, loadProblems, root }) => (manifests.length === 0 && loadProblems.length === 0 ? [{ manifest: { file: root }, message: "no .yaml, .yml or .json file with a Kubernetes object: nothing to judge" }] : []),
  },
  {
    id: "SCH002",
    theme: "schema",
    severity: "error",
    title: "objects pass schema and strict validation (unknown fields, names, ports)",
    fix: "Correct the field: rendered files come from `npm run render`, so change the settings or apps/ and render again.",
    check: ({ manifests }) => manifests.flatMap((manifest) => validateObject(manifest.object).map((problem) => ({ manifest, path: problem.path || "/", message: problem.message }))),
  },
];
