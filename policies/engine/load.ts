// Reads every .yaml/.yml/.json file below the given directories as Kubernetes objects
// (multi-document files too). Unreadable documents become findings, not crashes.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readYamlDocuments } from "../../core/yaml/read";
import type { Manifest, Violation } from "./types";

const manifestFile = /\.(ya?ml|json)$/;

function filesBelow(path: string): string[] {
  if (!statSync(path).isDirectory()) return manifestFile.test(path) ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => filesBelow(join(path, entry)));
}

export function loadManifests(paths: string[]): { manifests: Manifest[]; problems: Violation[] } {
  const manifests: Manifest[] = [];
  const problems: Violation[] = [];
  for (const file of paths.flatMap(filesBelow)) {
    const shown = file.split("\\").join("/");
    for (const [index, document] of readYamlDocuments(readFileSync(file, "utf8")).entries()) {
      if (document.error !== undefined) {
        problems.push({ manifest: { file: shown }, message: `not valid YAML: ${document.error}` });
        continue;
      }
      const object = document.value;
      if (object === null || object === undefined) continue;
      if (typeof object !== "object" || Array.isArray(object) || typeof (object as { kind?: unknown }).kind !== "string" || typeof (object as { apiVersion?: unknown }).apiVersion !== "string") {
        problems.push({ manifest: { file: shown }, message: "not a Kubernetes object (apiVersion and kind are required)" });
        continue;
      }
      manifests.push({ file: shown, ...(index > 0 ? { document: index } : {}), object: object as Manifest["object"] });
    }
  }
  return { manifests, problems };
}
