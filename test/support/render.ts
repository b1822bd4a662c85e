// Rendering in this process: the generator's own functions, loaded with every app.
import type { App } from "../../apps/lib/app";
import { loadEnvironment } from "../../core/settings/load";
import type { Settings } from "../../core/settings/schema";
import { main as renderMain } from "../../generator/cli";
import { renderEnvironment, type EnvironmentRender } from "../../generator/render";
import { environmentsDir, repoRoot, type CliRun, type Json } from "./repo";

export function render(environment: string, adjust?: (settings: Settings) => void): EnvironmentRender {
  const loaded = loadEnvironment(environmentsDir, environment, repoRoot);
  if (adjust) {
    loaded.settings = structuredClone(loaded.settings);
    adjust(loaded.settings);
  }
  return renderEnvironment(loaded, undefined, repoRoot);
}

export function objectsOf(environment: string, adjust?: (settings: Settings) => void): Json[] {
  return render(environment, adjust).objects as Json[];
}

/**
 * The render CLI's main() in this process, its console output captured: the same decisions as
 * runCli without the bundle and a process start, and visible to mutation testing. The bundle
 * itself is run by runCli (and test/bundle.test.ts).
 */
export function renderInProcess(args: string[], apps?: readonly App[]): CliRun {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const { log, error } = console;
  console.log = (line: string) => stdout.push(`${line}\n`);
  console.error = (line: string) => stderr.push(`${line}\n`);
  try {
    return { status: renderMain(args, apps), stdout: stdout.join(""), stderr: stderr.join("") };
  } finally {
    Object.assign(console, { log, error });
  }
}
