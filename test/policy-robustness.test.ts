// Every rule judges, and never crashes on, manifests with fields missing. Kubernetes treats most
// fields as optional and a hand edit can remove any of them; a rule that throws reports "could
// not evaluate the tree" instead of its verdict, so the run would judge nothing for that rule.
// Each round deletes three fields, far apart in a fixed walk of the object, from every manifest of
// rendered/prod, and every rule runs over the result: every field of every manifest is deleted
// in some round.
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

/** The object without the fields at `paths` (deleted last to first, so earlier indices stay valid). */
function without(object: Json, paths: (string | number)[][]): Json {
  const copy = structuredClone(object);
  for (const path of [...paths].reverse()) {
    let parent = copy;
    for (const step of path.slice(0, -1)) parent = parent?.[step];
    if (parent === undefined || parent === null) continue; // inside a field deleted already
    const last = path.at(-1)!;
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  }
  return copy;
}

const perRound = 3;
const pathsOf = base.map((manifest) => fieldPaths(manifest.object));
const rounds = Math.ceil(Math.max(...pathsOf.map((paths) => paths.length)) / perRound);

describe("policy rules on manifests with a field missing", () => {
  it(`no rule crashes in ${rounds} rounds, each deleting ${perRound} fields from every manifest of rendered/prod`, () => {
    const crashes: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const manifests: Manifest[] = base.map((manifest, i) => {
        const paths = Array.from({ length: perRound }, (_, k) => pathsOf[i]![round + k * rounds]).filter((path) => path !== undefined);
        return paths.length > 0 ? { ...manifest, object: without(manifest.object, paths) } : manifest;
      });
      for (const finding of runRules({ environment: "prod", root: prodRoot, manifests, settings, loadProblems: [] }, rules)) {
        if (finding.message.startsWith("could not evaluate the tree")) crashes.push(`round ${round}: ${finding.rule} ${finding.message}`);
      }
    }
    expect(crashes.slice(0, 20)).toEqual([]);
  });
});
