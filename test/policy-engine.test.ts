// The policy engine's ground floor: reading a tree of manifests, and label selectors as
// Kubernetes evaluates them (the rules' "which pods does this select" rests on it).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadManifests } from "../policies/engine/load";
import { selectorMatches } from "../policies/engine/objects";
import { runRules } from "../policies/engine/run";
import type { Rule } from "../policies/engine/types";

describe("label selectors", () => {
  const labels = { app: "cart", tier: "web" };
  const expression = (operator: string, key: string, values?: string[]) => ({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] });

  it("no selector selects nothing; {} selects everything", () => {
    expect(selectorMatches(undefined, labels)).toBe(false);
    expect(selectorMatches(null, labels)).toBe(false);
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches({}, {})).toBe(true);
  });

  it("matchLabels needs every pair", () => {
    expect(selectorMatches({ matchLabels: { app: "cart" } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: "cart", tier: "db" } }, labels)).toBe(false);
    expect(selectorMatches({ matchLabels: { app: "cart" } })).toBe(false);
  });

  it.each([
    ["In a listed value", expression("In", "app", ["cart", "shop"]), true],
    ["In no listed value", expression("In", "app", ["shop"]), false],
    ["In on a missing label", expression("In", "zone", ["a"]), false],
    ["NotIn a listed value", expression("NotIn", "app", ["cart"]), false],
    ["NotIn other values", expression("NotIn", "app", ["shop"]), true],
    ["NotIn on a missing label", expression("NotIn", "zone", ["a"]), true],
    ["Exists on a present label", expression("Exists", "tier"), true],
    ["Exists on a missing label", expression("Exists", "zone"), false],
    ["DoesNotExist on a missing label", expression("DoesNotExist", "zone"), true],
    ["DoesNotExist on a present label", expression("DoesNotExist", "tier"), false],
    ["an unknown operator", expression("Matches", "app", ["cart"]), false],
    ["In without values", expression("In", "app"), false],
  ])("matchExpressions: %s → %s", (_, selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });

  it("every expression and every label must hold together", () => {
    const both = { matchLabels: { app: "cart" }, matchExpressions: [{ key: "tier", operator: "In", values: ["web"] }, { key: "zone", operator: "DoesNotExist" }] };
    expect(selectorMatches(both, labels)).toBe(true);
    expect(selectorMatches(both, { ...labels, zone: "a" })).toBe(false);
    expect(selectorMatches({ ...both, matchLabels: { app: "shop" } }, labels)).toBe(false);
  });
});

describe("reading a tree of manifests", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function tree(files: Record<string, string>): string {
    dir = mkdtempSync(join(tmpdir(), "manifests-"));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return dir;
  }

  it("reads .yaml, .yml and .json files below a folder, in name order, every document of each", () => {
    const root = tree({
      "b/two.yml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: three}\n",
      "a/one.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: one}\n",
      "c/four.json": '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "four"}}',
      "c/notes.md": "apiVersion: v1\nkind: Secret\n",
      "SUMMARY.txt": "kind: x",
    });
    const { manifests, problems } = loadManifests([root]);
    expect(problems).toEqual([]);
    expect(manifests.map((m) => [m.file.slice(root.length), m.object.metadata.name])).toEqual([
      ["/a/one.yaml", "one"],
      ["/b/two.yml", "two"],
      ["/b/two.yml", "three"],
      ["/c/four.json", "four"],
    ]);
  });

  it("a single file may be given; a file of another type given directly is skipped", () => {
    const root = tree({ "x.yaml": "apiVersion: v1\nkind: Service\n", "x.txt": "apiVersion: v1\nkind: Service\n" });
    expect(loadManifests([join(root, "x.yaml"), join(root, "x.txt")]).manifests.map((m) => m.file)).toEqual([join(root, "x.yaml")]);
  });

  it("unreadable documents become problems naming the file; empty documents are skipped; the rest still loads", () => {
    const root = tree({
      "bad.yaml": "apiVersion: v1\nkind: [\n",
      "shapes.yaml": ["---\n", "just a string\n", "---\n- a\n- list\n", "---\nkind: Service\n", "---\napiVersion: v1\n", "---\napiVersion: 1\nkind: Service\n", "---\napiVersion: v1\nkind: Service\nmetadata: {name: ok}\n"].join(""),
    });
    const { manifests, problems } = loadManifests([root]);
    expect(manifests.map((m) => m.object.metadata.name)).toEqual(["ok"]);
    expect(problems.map((p) => [p.manifest.file.slice(root.length), p.message.replace(/:.*/s, "")])).toEqual([
      ["/bad.yaml", "not valid YAML"],
      ...Array(5).fill(["/shapes.yaml", "not a Kubernetes object (apiVersion and kind are required)"]),
    ]);
  });
});

describe("running rules", () => {
  it("a finding carries its object's file, YAML document, identity and field, and the rule's id, severity and fix", () => {
    const object = { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "app" } };
    const rule: Rule = { id: "TST001", theme: "secrets", severity: "error", title: "t", fix: "do this", check: () => [{ manifest: { file: "a.yaml", document: 2, object }, path: "/data", message: "m" }] };
    expect(runRules({ environment: "dev", root: ".", manifests: [], settings: undefined, loadProblems: [] }, [rule])).toEqual([
      { rule: "TST001", severity: "error", file: "a.yaml", document: 2, object: "Secret app/s", path: "/data", message: "m", fix: "do this" },
    ]);
  });
});
