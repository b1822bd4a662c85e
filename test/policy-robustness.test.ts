// Every rule judges, and never crashes on, manifests with fields missing. Kubernetes treats most
// fields as optional and a hand edit can remove any of them; a rule that throws reports "could
// not evaluate the tree" instead of its verdict, so the run would judge nothing for that rule.
// Each round deletes one field from every manifest of rendered/prod (the round-th field in a
// fixed walk of the object), and every rule runs over the result.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifests } from "../policies/engine/load";
import { runRules } from "../policies/engine/run";
import type { Json, Manifest } from "../policies/engine/types";
import { rules } from "../policies/rules/index";
import { loadEnvironment } from "../core/settings/load";
import { environmentsDir, repoRoot } from "./support/repo";

const prodRoot = join(repoRoot, "rendered", "prod");
const base = loadManifests([prodRoot]).manifests;
const settings = loadEnvironment(environmentsDir, "prod", repoRoot).settings;

/** Every path to an object key or array element in `value`, parents before children. */
function fieldPaths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => [[...prefix, index], ...fieldPaths(item, [...prefix, index])]);
  if (value === null || typeof value !== "object") return [];
  return Object.keys(value).flatMap((key) => [[...prefix, key], ...fieldPaths(value[key], [...prefix, key])]);
}

function without(object: Json, path: (string | number)[]): Json {
  const copy = structuredClone(object);
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent[step];
  const last = path.at(-1)!;
  if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete parent[last];
  return copy;
}

const pathsOf = base.map((manifest) => fieldPaths(manifest.object));
const rounds = Math.max(...pathsOf.map((paths) => paths.length));

describe("policy rules on manifests with a field missing", () => {
  it(`no rule crashes in ${rounds} rounds, each deleting one field from every manifest of rendered/prod`, () => {
    const crashes: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const manifests: Manifest[] = base.map((manifest, i) => {
        const path = pathsOf[i]![round];
        return path ? { ...manifest, object: without(manifest.object, path) } : manifest;
      });
      for (const finding of runRules({ environment: "prod", root: prodRoot, manifests, settings, loadProblems: [] }, rules)) {
        if (finding.message.startsWith("could not evaluate the tree")) crashes.push(`round ${round}: ${finding.rule} ${finding.message}`);
      }
    }
    expect(crashes.slice(0, 20)).toEqual([]);
  });
});
