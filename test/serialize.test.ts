// Rendered YAML is byte-for-byte what the `yaml` library writes (the fast emitter in
// core/yaml/write.ts must never drift from it), and reads back as the same object in both
// YAML 1.1 (Kubernetes, Argo CD) and YAML 1.2.
import { parse, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { canonical, emitDocument, toYaml, yamlOptions } from "../core/yaml/write";
import { objectsOf } from "./support/render";

const viaLibrary = (object: unknown) => `#\n${stringify(canonical(object), yamlOptions)}`;

const tricky = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "tricky", namespace: "x", labels: { n: "y", "app.kubernetes.io/name": "on" } },
  data: {
    yes: "no", octal: "0755", float: "1e3", colon: "a: b", trailingColon: "key:", hash: "a #b", leadingSpace: " x", empty: "",
    star: "*", dash: "- x", quote: "it's \"quoted\"", tilde: "~", nullWord: "null", multiline: "line one\nline two\n", unicode: "grüße",
    time: "2026-11-23", sexagesimal: "1:20", inf: ".inf", comma: "Prune=false,Delete=false", url: "https://example.com/a?b=c#d",
  },
  spec: { nested: [["a"], []], empty: {}, list: [], numbers: [0, -1, 3.5, 65535], flags: [true, false, null], maps: [{}, { a: 1 }] },
};

describe("serialisation", () => {
  it("writes every rendered object exactly as yaml's stringify would", () => {
    for (const environment of ["dev", "prod"]) {
      for (const object of objectsOf(environment)) {
        expect(toYaml(object, "#"), `${object.kind}/${object.metadata.name}`).toBe(viaLibrary(object));
        expect(emitDocument(canonical(object)), `${object.kind}/${object.metadata.name} takes the fast path`).toBeDefined();
      }
    }
  });

  it("writes awkward strings, empty collections and nested lists exactly as yaml would", () => {
    expect(toYaml(tricky, "#")).toBe(viaLibrary(tricky));
    const { data, ...withoutMultiline } = tricky;
    const { multiline: _, ...singleLine } = data;
    const fastPath = { ...withoutMultiline, data: singleLine, spec: { empty: {}, list: [], numbers: [0, -1, 65535], flags: [true, false, null], maps: [{}, { a: 1 }] } };
    expect(emitDocument(canonical(fastPath))).toBeDefined(); // the block emitter wrote it, not the fallback
    expect(toYaml(fastPath, "#")).toBe(viaLibrary(fastPath));
  });

  it("writes multi-line strings in every block style yaml picks, at any depth, exactly as yaml would", () => {
    const strings = ["a\nb\n", "a\nb", "a\n\n\n", "  lead\nx\n", "x\n  deeper\n\nafter blank\n", "trailing space \nx", "ends in spaces\n  ", "\nstarts blank", "a\tb\nc", "bell\u0007\nx", "# not a comment\n- not a list\n", "key: value\n---\n..."];
    const object = { kind: "K", data: Object.fromEntries(strings.map((text, i) => [`s${i}`, text])), spec: { items: strings, maps: strings.map((text) => ({ name: "n", script: text })) } };
    expect(emitDocument(canonical(object))).toBeDefined();
    expect(toYaml(object, "#")).toBe(viaLibrary(object));
    expect(parse(toYaml(object, "#"), { version: "1.1" })).toEqual(canonical(object));
  });

  it("reads back as the same object under YAML 1.1 and 1.2", () => {
    for (const object of [tricky, ...objectsOf("prod")]) {
      const text = toYaml(object, "#");
      expect(parse(text, { version: "1.1" })).toEqual(canonical(object));
      expect(parse(text, { version: "1.2" })).toEqual(canonical(object));
    }
  });

  it("orders keys canonically: apiVersion, kind, metadata, then alphabetically; name first in list items", () => {
    const text = toYaml({ spec: { b: 1, a: 2 }, metadata: { labels: { z: "1", a: "2" }, name: "x" }, kind: "K", apiVersion: "v1" }, "#");
    expect(text).toBe('#\napiVersion: v1\nkind: K\nmetadata:\n  name: x\n  labels:\n    a: "2"\n    z: "1"\nspec:\n  a: 2\n  b: 1\n');
  });
});
