// Writing rendered/ atomically, and comparing it with what the generator would write.
// Atomic: the new tree is built next to rendered/ and swapped in with renames, so a failed or
// interrupted render leaves the old tree (never a mix of old and new files).
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { RenderedFile } from "./render";

/** Every file below `dir`, as forward-slash paths relative to `base`. */
export function listFiles(dir: string, base: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) found.push(...listFiles(full, base));
    else found.push(full.slice(base.length + 1).split("\\").join("/"));
  }
  return found.sort();
}

export interface Drift {
  stale: string[];
  missing: string[];
  extra: string[];
}

/** Differences between `files` and what is on disk for the given environments. */
export function compareWithDisk(repoRoot: string, renderedRoot: string, environments: string[], files: RenderedFile[], allEnvironments: boolean): Drift {
  const expected = new Map(files.map((f) => [f.path, f.content]));
  const roots = allEnvironments ? [renderedRoot] : environments.map((env) => `${renderedRoot}/${env}`);
  const onDisk = roots.flatMap((root) => listFiles(join(repoRoot, root), repoRoot));
  const drift: Drift = { stale: [], missing: [], extra: [] };
  for (const path of onDisk) {
    const content = expected.get(path);
    if (content === undefined) drift.extra.push(path);
    else if (readFileSync(join(repoRoot, path), "utf8") !== content) drift.stale.push(path);
  }
  const present = new Set(onDisk);
  for (const path of expected.keys()) if (!present.has(path)) drift.missing.push(path);
  return drift;
}

/**
 * Replaces rendered/ (all environments) or only the given environments' folders with `files`,
 * atomically per run: everything is written to a sibling temp tree first.
 */
export function writeRendered(repoRoot: string, renderedRoot: string, environments: string[], files: RenderedFile[], allEnvironments: boolean): void {
  const target = join(repoRoot, renderedRoot);
  const staging = join(repoRoot, `.${renderedRoot}-staging-${process.pid}`);
  const previous = join(repoRoot, `.${renderedRoot}-previous-${process.pid}`);
  recoverInterruptedSwap(repoRoot, renderedRoot);
  rmSync(staging, { recursive: true, force: true });
  try {
    mkdirSync(staging, { recursive: true });
    if (!allEnvironments && existsSync(target)) {
      // Keep the environments this run does not render.
      for (const entry of readdirSync(target)) {
        if (!environments.includes(entry)) cpSync(join(target, entry), join(staging, entry), { recursive: true });
      }
    }
    const made = new Set<string>();
    for (const file of files) {
      const destination = join(staging, file.path.slice(renderedRoot.length + 1));
      const folder = dirname(destination);
      if (!made.has(folder)) {
        mkdirSync(folder, { recursive: true });
        made.add(folder);
      }
      writeFileSync(destination, file.content);
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  if (existsSync(target)) renameSync(target, previous);
  renameSync(staging, target);
  rmSync(previous, { recursive: true, force: true });
}

/** A render killed between its two renames leaves rendered/ missing and the old tree aside: put it back. */
function recoverInterruptedSwap(repoRoot: string, renderedRoot: string): void {
  const target = join(repoRoot, renderedRoot);
  const leftovers = readdirSync(repoRoot).filter((entry) => entry.startsWith(`.${renderedRoot}-`));
  for (const entry of leftovers) {
    if (entry.startsWith(`.${renderedRoot}-previous-`) && !existsSync(target)) renameSync(join(repoRoot, entry), target);
    else rmSync(join(repoRoot, entry), { recursive: true, force: true });
  }
}
