// Writing rendered/ atomically, and comparing it with what the generator would write.
// Atomic: the new tree is built next to rendered/ and swapped in with renames, so a failed or
// interrupted render leaves the old tree (never a mix of old and new files).
import { accessSync, constants, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { UserError } from "../core/errors";
import { timed } from "../core/timings";
import { isAlive, readingUnderRenderLock, renderLockFile, withRenderLockOr, type LockOptions } from "../core/render-lock";
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

/** compareWithDisk, counted as the "compare" phase of --timings. */
function timedComparison(...args: Parameters<typeof compareWithDisk>): Drift {
  return timed("compare", () => compareWithDisk(...args));
}

function hasChanges(drift: Drift): boolean {
  return drift.stale.length + drift.missing.length + drift.extra.length > 0;
}

/**
 * What a render does with its files: compares them with rendered/ (all environments, or only the
 * given environments' folders) and replaces the tree only when they differ, so an unchanged tree
 * keeps its file times. Replacing is atomic per run: everything is written to a sibling temp tree
 * first, then swapped in with renames. Comparing and writing both hold the lock, so concurrent
 * runs never mix their trees: a comparison outside it read trees that a concurrent render was
 * swapping out, and failed on a file listed a moment before (ENOENT).
 */
export function syncRendered(repoRoot: string, renderedRoot: string, environments: string[], files: RenderedFile[], allEnvironments: boolean, lockOptions: LockOptions = {}): Drift {
  const compare = () => timedComparison(repoRoot, renderedRoot, environments, files, allEnvironments);
  return withRenderLockOr(
    renderLockFile(repoRoot, renderedRoot),
    () => {
      recoverInterruptedSwap(repoRoot, renderedRoot);
      const drift = compare();
      if (hasChanges(drift)) timed("write", () => swapIn(repoRoot, renderedRoot, environments, files, allEnvironments));
      return drift;
    },
    // A checkout this process may not write to: an up-to-date tree is fine as it is; a changed one
    // is refused by the permission check, which names the folders.
    (refusal) => {
      const drift = compare();
      if (!hasChanges(drift)) return drift;
      checkReplaceable(repoRoot, renderedRoot);
      throw refusal;
    },
    lockOptions,
  );
}

/**
 * What `render --check` does: the comparison alone, holding the lock too (where the checkout lets
 * it create the lock file), so it never reads a tree a render is swapping out.
 */
export function checkRendered(repoRoot: string, renderedRoot: string, environments: string[], files: RenderedFile[], allEnvironments: boolean, lockOptions: LockOptions = {}): Drift {
  return readingUnderRenderLock(renderLockFile(repoRoot, renderedRoot), () => timedComparison(repoRoot, renderedRoot, environments, files, allEnvironments), lockOptions);
}

/** Whether this process may create and remove entries in a folder. */
function canChange(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The old tree must be removable after the swap (the root and every folder of rendered/
 * writable), or nothing is changed. `writable` is the permission check (tests that run as root,
 * whom permissions do not stop, pass their own).
 */
export function checkReplaceable(repoRoot: string, renderedRoot: string, writable: (dir: string) => boolean = canChange): void {
  const unwritable: string[] = [];
  const check = (dir: string): boolean => {
    if (writable(dir)) return true;
    unwritable.push(relative(repoRoot, dir) || ".");
    return false;
  };
  const visit = (dir: string): void => {
    if (!check(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) visit(join(dir, entry.name));
  };
  check(repoRoot);
  const target = join(repoRoot, renderedRoot);
  if (existsSync(target)) visit(target);
  if (unwritable.length > 0) {
    const shown = `${unwritable.slice(0, 5).join(", ")}${unwritable.length > 5 ? ` and ${unwritable.length - 5} more` : ""}`;
    throw new UserError(`${shown}: not writable, so ${renderedRoot}/ cannot be replaced; nothing was changed`, 2);
  }
}

function swapIn(repoRoot: string, renderedRoot: string, environments: string[], files: RenderedFile[], allEnvironments: boolean): void {
  const target = join(repoRoot, renderedRoot);
  const staging = join(repoRoot, `.${renderedRoot}-staging-${process.pid}`);
  const previous = join(repoRoot, `.${renderedRoot}-previous-${process.pid}`);
  checkReplaceable(repoRoot, renderedRoot);
  try {
    mkdirSync(staging);
    if (!allEnvironments && existsSync(target)) {
      // Keep the environments this run does not render.
      for (const entry of readdirSync(target)) {
        if (!environments.includes(entry)) cpSync(join(target, entry), join(staging, entry), { recursive: true });
      }
    }
    for (const file of files) {
      const destination = join(staging, file.path.slice(renderedRoot.length + 1));
      mkdirSync(dirname(destination), { recursive: true });
      writeFileSync(destination, file.content);
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  const hadTarget = existsSync(target);
  if (hadTarget) renameSync(target, previous);
  try {
    renameSync(staging, target);
  } catch (error) {
    if (hadTarget) renameSync(previous, target);
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  rmSync(previous, { recursive: true, force: true });
}

/**
 * A render killed between its two renames leaves rendered/ missing and the old tree aside: put it
 * back. Leftover folders of renders that are gone are removed; a live render's are never touched.
 * Called holding the lock, before this process makes its own: a folder with this pid is a dead render's.
 */
function recoverInterruptedSwap(repoRoot: string, renderedRoot: string): void {
  const target = join(repoRoot, renderedRoot);
  const leftover = new RegExp(`^\\.${renderedRoot}-(staging|previous)-([0-9]+)$`);
  for (const entry of readdirSync(repoRoot)) {
    const match = leftover.exec(entry);
    if (!match || (Number(match[2]) !== process.pid && isAlive(Number(match[2])))) continue;
    if (match[1] === "previous" && !existsSync(target)) renameSync(join(repoRoot, entry), target);
    else rmSync(join(repoRoot, entry), { recursive: true, force: true });
  }
}
