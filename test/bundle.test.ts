// generator/build.mjs leaves the draft-2019 string formats out of the render bundle. That is only
// safe while no bundled validator refers to one of them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fullFormats } from "ajv-formats/dist/formats.js";
import draft2019Formats from "ajv-formats-draft2019/formats/index.js";
import { formats } from "@kubernetes-models/validate";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./support/repo";
import { cliNodeArgs } from "../generator/cli-command.mjs";

describe("render bundle", () => {
  it("every string format the model validators use is still provided without the draft-2019 formats", () => {
    // The bundle is minified, so read the validators' sources: every schema module of the model
    // packages (a superset of what the bundle contains). ajv's standalone code binds each format
    // once: `formats12 = formats.int32` (or formats["date-time"]).
    const schemaDirs = [join(repoRoot, "node_modules/kubernetes-models/_schemas"), join(repoRoot, "node_modules/@kubernetes-models/argo-cd/_schemas"), join(repoRoot, "node_modules/@kubernetes-models/apimachinery/_schemas")];
    const referenced = new Set<string>();
    for (const dir of schemaDirs) {
      for (const file of readdirSync(dir).filter((f) => f.endsWith(".mjs"))) {
        for (const match of readFileSync(join(dir, file), "utf8").matchAll(/=\s*formats\.([A-Za-z0-9_]+)\b|=\s*formats\["([^"]+)"\]/g)) referenced.add(match[1] ?? match[2]!);
      }
    }
    expect(referenced.size).toBeGreaterThan(0);
    const onlyInDraft2019 = Object.keys(draft2019Formats).filter((name) => !(name in fullFormats) && !["byte", "quantity", "string", "cidr"].includes(name));
    for (const name of referenced) {
      expect(Object.keys(formats), name).toContain(name);
      expect(onlyInDraft2019, name).not.toContain(name);
    }
  });
});

describe("CLI command", () => {
  it("npm run render and npm run policy start the snapshot with the flags it was built with", () => {
    const scripts = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).scripts as Record<string, string>;
    for (const command of ["render", "policy"]) expect(scripts[command]).toBe(`node generator/build.mjs && node ${cliNodeArgs().join(" ").replace("./dist", "dist")} ${command}`);
  });
});
