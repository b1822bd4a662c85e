// The committed environments are examples: a repository URL, hosts and an image under
// example-org / example.com. Rendering them is fine (the tests do); syncing them is not, so the
// render names every value a first-time user still has to change.
import type { Settings } from "./schema";

// Documentation addresses (RFC 5737) stand for the cluster's own, such as the API server's.
const examplePattern = /\bexample-org\b|\bexample\.(com|org|net)\b|@sha256:0{64}$|^(192\.0\.2|198\.51\.100|203\.0\.113)\./;

/** Dotted paths of settings whose value is still an example placeholder, in document order. */
export function exampleValues(settings: Settings): string[] {
  const found: string[] = [];
  const visit = (value: unknown, path: string[]): void => {
    if (typeof value === "string") {
      if (examplePattern.test(value)) found.push(path.join("."));
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, String(index)]));
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
    }
  };
  visit(settings, []);
  return found;
}
