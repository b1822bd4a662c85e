// The objects of rendered/<env>/, read with the repository's reader (core/yaml/read.ts), for
// `npm run verify`. Every file is one object (the render writes them so); a file that is not
// one Kubernetes object is a configuration error (exit 2): verify compares what Argo CD syncs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../core/errors";
import { readYamlDocuments } from "../../core/yaml/read";
import { listFiles } from "../output";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface GitObject {
  /** Path below rendered/<env>/ ("argocd/application-dev-root.yaml"). */
  file: string;
  object: KubeObject;
}

const manifestFile = /\.(ya?ml|json)$/;

export function readRenderedTree(dir: string, shownDir: string): GitObject[] {
  const objects: GitObject[] = [];
  const problems: string[] = [];
  for (const file of listFiles(dir, dir).filter((path) => manifestFile.test(path))) {
    for (const document of readYamlDocuments(readFileSync(join(dir, file), "utf8"))) {
      if (document.error !== undefined) {
        problems.push(`${shownDir}/${file}: not valid YAML: ${document.error}`);
        continue;
      }
      const value = document.value as Partial<KubeObject> | null | undefined;
      if (value === null || value === undefined) continue;
      const metadata = value.metadata;
      if (typeof value !== "object" || typeof value.apiVersion !== "string" || typeof value.kind !== "string" || typeof metadata?.name !== "string") {
        problems.push(`${shownDir}/${file}: not a Kubernetes object (apiVersion, kind and metadata.name are required)`);
        continue;
      }
      objects.push({ file, object: value as KubeObject });
    }
  }
  if (problems.length > 0) throw new UserError(`${problems.join("\n")}\n(run \`npm run render\` to rewrite ${shownDir})`, 2);
  if (objects.length === 0) throw new UserError(`${shownDir}: no objects (run \`npm run render\` first)`, 2);
  return objects;
}
