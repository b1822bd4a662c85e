// The fast reader of canonical YAML must never disagree with `yaml`: it either returns exactly
// what yaml (as YAML 1.1, like Kubernetes) reads, or gives up so yaml reads the file.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { readCanonicalYaml, readYamlDocuments } from "../core/yaml/read";
import { listFiles } from "../generator/output";
import { repoRoot } from "./support/repo";

const renderedFiles = listFiles(join(repoRoot, "rendered"), join(repoRoot, "rendered")).filter((path) => path.endsWith(".yaml")).map((path) => readFileSync(join(repoRoot, "rendered", path), "utf8"));
const viaYaml = (text: string) => parse(text, { version: "1.1" });

/** Deterministic pseudo-random numbers (a fixed-seed LCG), so failures reproduce. */
function random(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const edits = ["yes", "0755", "1e3", "~", "&a x", "*a", "[a, b]", "{a: 1}", "|", ">", "'q''s'", '"esc\\n"', "- x", "a: b", "#c", " ", "\t", "", "-1", "1.5", "0x1F", "null", "Off", "a:b", "---", '"n"', "64Mi", "/p:", "--f=1", "w x", "w: x y", "-e1", "-E5"];

function mutate(text: string, next: () => number): string {
  const lines = text.split("\n");
  const index = 1 + Math.floor(next() * (lines.length - 2));
  const line = lines[index]!;
  const edit = edits[Math.floor(next() * edits.length)]!;
  const choice = next();
  if (choice < 0.4) lines[index] = line.replace(/: .*$/, `: ${edit}`);
  else if (choice < 0.6) lines[index] = ` ${line}`;
  else if (choice < 0.8) lines.splice(index, 0, line.replace(/\S.*$/, edit));
  else lines[index] = `${line}${edit}`;
  return lines.join("\n");
}

/** The fast reader's answer equals yaml's, or it gives up; true when it answered itself. */
function readsLikeYaml(text: string): boolean {
  const fast = readCanonicalYaml(text);
  if (fast === undefined) return false;
  let expected: unknown;
  try {
    expected = viaYaml(text);
  } catch {
    expected = "yaml rejects it";
  }
  expect(fast, text).toEqual(expected);
  return true;
}

describe("fast canonical YAML reader", () => {
  it("reads every rendered file itself, block scalars (scripts, dashboards) included, exactly as yaml does", () => {
    expect(renderedFiles.length).toBeGreaterThan(100);
    expect(renderedFiles.filter((text) => /: \|-?\n/.test(text)).length).toBeGreaterThan(10);
    for (const text of renderedFiles) expect(readCanonicalYaml(text)).toEqual(viaYaml(text));
  });

  it("reads literal block scalars as yaml does, and leaves the forms it does not write to yaml", () => {
    const read = ["a: |\n  x\n  y\n", "a: |-\n  x\n\n    y\n", "a:\n  - |\n    x\n  - b: |-\n      y\n    c: 1\n", "a: |\n  # not a comment\n  - not a list\nb: 2\n", "k:\n  - |\n    x\n"];
    for (const text of read) expect(readCanonicalYaml(text), text).toEqual(viaYaml(text));
    const leftToYaml = ["a: |+\n  x\n\n", "a: >\n  x\n", "a: |2\n    x\n", "a: |\n    deeper first\n  x\n", "a: |\n  x\n\nb: 1\n", "a: |\n\n  x\n", "a: |\n  x\n   \n  y\n", "a: | # c\n  x\n", "a: |\nb: 1\n"];
    for (const text of leftToYaml) expect(readCanonicalYaml(text), text).toBeUndefined();
  });

  it("on 3,000 mutated files it either agrees with yaml or leaves the file to yaml", () => {
    const next = random(20261123);
    let fastPath = 0;
    for (let i = 0; i < 3000; i++) {
      const text = mutate(renderedFiles[i % renderedFiles.length]!, next);
      if (readsLikeYaml(text)) fastPath++;
    }
    expect(fastPath).toBeGreaterThan(300); // the property was exercised on the fast path, not only on fallbacks
  });

  it("on 1,500 mutated files with block scalars it either agrees with yaml or leaves the file to yaml", () => {
    const withBlocks = renderedFiles.filter((text) => /: \|-?\n/.test(text));
    const blockEdits = ["", " ", "  ", "|", "|-", "|+", "- |", "a: |", "x: |-"];
    const next = random(20261201);
    let fastPath = 0;
    for (let i = 0; i < 1500; i++) {
      let text = mutate(withBlocks[i % withBlocks.length]!, next);
      // Also blank, shorten or re-open lines right around a block's first line.
      const lines = text.split("\n");
      const opener = lines.findIndex((line) => /\|-?$/.test(line));
      if (opener >= 0 && next() < 0.5) lines.splice(opener + Math.floor(next() * 3), next() < 0.5 ? 1 : 0, blockEdits[Math.floor(next() * blockEdits.length)]!);
      text = lines.join("\n");
      if (readsLikeYaml(text)) fastPath++;
    }
    expect(fastPath).toBeGreaterThan(100);
  });

  it("leaves structures it does not write to yaml: anchors, flow collections, folded scalars, comments, tabs, several documents", () => {
    for (const text of ["a: &x 1\nb: *x\n", "a: [1, 2]\n", "a: >\n  x\n", "a: 1 # c\n", "a:\n\t- x\n", "a: 1\n---\nb: 2\n", "? a\n: 1\n"]) {
      expect(readCanonicalYaml(text), text).toBeUndefined();
    }
    expect(readYamlDocuments("a: 1\n---\nb: 2\n")).toEqual([{ value: { a: 1 } }, { value: { b: 2 } }]);
    expect(readYamlDocuments("a: [\n")[0]!.error).toBeDefined();
  });

  it("agrees with yaml on inputs that once fooled it (review counterexamples)", () => {
    const inputs = ["a:\n\u00A0\u00A0b: 1\n", "a:\n\u00A0\u00A0- x\n", "k: e1\n", "e1: 1\n", "__proto__: x\n", "__proto__:\n  kind: Deployment\napiVersion: v1\n", 'a: "x\\"\n', '"a\\": b\n', "a:\n\u2028 b: 1\n", "k: E-5\n"];
    for (const text of inputs) {
      let expected: unknown;
      try {
        expected = viaYaml(text);
      } catch {
        expected = "yaml rejects it";
      }
      // What every caller gets (the fast reader, or yaml when it gives up), unconditionally.
      const read = readYamlDocuments(text);
      expect(read[0]!.error ? "yaml rejects it" : read[0]!.value, JSON.stringify(text)).toEqual(expected);
      // And the fast reader alone never returns a different value: it may only give up.
      expect([undefined, expected], JSON.stringify(text)).toContainEqual(readCanonicalYaml(text));
    }
  });

  it("reads YAML 1.1 scalars as Kubernetes does: 0755 is octal, yes is true, 100m is a string", () => {
    for (const text of ["a: 0755\n", "a: yes\n", "a: Off\n", "a: 100m\n", "a: 1:20\n", "a: 2026-11-23\n", 'a: "esc\\tx"\n', "a: 1e3\n"]) {
      expect(readYamlDocuments(text)[0]!.value, text).toEqual(viaYaml(text));
      expect([undefined, viaYaml(text)], text).toContainEqual(readCanonicalYaml(text));
    }
    expect(readCanonicalYaml("a: 0755\n")).toEqual({ a: 493 });
    expect(readCanonicalYaml("a: yes\n")).toEqual({ a: true });
    expect(readCanonicalYaml("a: 100m\n")).toEqual({ a: "100m" });
  });

  it("reads the string shapes it resolves without yaml (quantities, paths, flags, prose) as yaml does, near misses included", () => {
    const tokens = ["100m", "64Mi", "10s", "1d", "5Gi", "/data", "/", "/etc/a.yml", "-c", "--config.file=/etc/x.yml", "--port=80", "Carts (Redis) and the order database (PostgreSQL, backups)", "yes please", "no way", "Pod's volume",
      "1e3", "0x1F", "-1", "-.inf", "0755", "1:20", "/a:", "--a:", "a b:", "a  b", "a # b", "yes", "1_000", "0b11", "10", "1.5m", "a b ", "--", "---", "-", "/a b", "-e1", "-E+5", "-e-1", "--e1", "-ex"];
    for (const token of tokens) {
      const text = `a: ${token}\n`;
      let expected: unknown;
      try {
        expected = viaYaml(text);
      } catch {
        expected = "yaml rejects it";
      }
      expect([undefined, expected], JSON.stringify(text)).toContainEqual(readCanonicalYaml(text));
    }
    for (const token of ["100m", "/data", "--port=80", "Carts (Redis) and the order database (PostgreSQL, backups)"]) expect(readCanonicalYaml(`a: ${token}\n`)).toEqual({ a: token });
  });
});
