// The Application health check the app-of-apps waves depend on, run by a real Lua 5.1 interpreter
// (Argo CD runs these scripts with gopher-lua, a Lua 5.1 implementation).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bindsOnFirstRunAnnotation } from "../core/contract/index";
import { repoRoot } from "./support/repo";

const script = (name: string) => readFileSync(join(repoRoot, "generator", name), "utf8");
const applicationScript = script("argocd-application-health.lua");
const claimScript = script("argocd-pvc-health.lua");

/** Runs a health script on an object given as a Lua table literal, as Argo CD does (global obj, the script's return value). */
function run(lua: string, objectTable: string): { status: string; message: string } {
  const harness = `obj = ${objectTable}\nlocal hs = (function()\n${lua}\nend)()\nio.write(hs.status, "\\n", hs.message)`;
  const [status, message] = execFileSync("lua5.1", ["-e", harness], { encoding: "utf8" }).split("\n");
  return { status: status!, message: message ?? "" };
}

const health = (statusTable: string) => run(applicationScript, `{ status = ${statusTable} }`);

describe("Application health check (Lua)", () => {
  it("a child with no status yet is Progressing, so the next wave waits", () => {
    expect(health("nil").status).toBe("Progressing");
    expect(health("{}").status).toBe("Progressing");
  });

  it("a Healthy and Synced child is Healthy", () => {
    expect(health('{ health = { status = "Healthy" }, sync = { status = "Synced" } }').status).toBe("Healthy");
  });

  it("a Healthy child that is not yet Synced still holds the wave", () => {
    expect(health('{ health = { status = "Healthy" }, sync = { status = "OutOfSync" } }')).toEqual({ status: "Progressing", message: "healthy, but not yet synced" });
    expect(health('{ health = { status = "Healthy" } }').status).toBe("Progressing");
  });

  it("Degraded and Missing pass through with their message", () => {
    expect(health('{ health = { status = "Degraded", message = "Deployment exceeded its progress deadline" }, sync = { status = "Synced" } }')).toEqual({
      status: "Degraded",
      message: "Deployment exceeded its progress deadline",
    });
    expect(health('{ health = { status = "Missing" }, sync = { status = "OutOfSync" } }').status).toBe("Missing");
  });
});

describe("PersistentVolumeClaim health check (Lua)", () => {
  const firstRun = 'annotations = { ["online-boutique-gitops/binds-on-first-run"] = "CronJob/postgres-backup" }';
  const claim = (metadata: string, phase?: string) => run(claimScript, `{ metadata = { ${metadata} }${phase ? `, status = { phase = "${phase}" }` : ""} }`);

  it("a Bound claim is Healthy", () => {
    expect(claim("", "Bound").status).toBe("Healthy");
  });

  it("a Pending claim that binds on its CronJob's first run is Healthy, so the data wave does not wait a day", () => {
    expect(claim(firstRun, "Pending")).toEqual({ status: "Healthy", message: "pending until the first run of CronJob/postgres-backup" });
  });

  it("any other Pending claim, or one without status, is Progressing: a database volume that does not bind holds the wave", () => {
    expect(claim("", "Pending").status).toBe("Progressing");
    expect(claim('annotations = { other = "x" }', "Pending").status).toBe("Progressing");
    expect(claim(firstRun).status).toBe("Progressing");
  });

  it("a claim that lost its volume is Degraded, marked or not", () => {
    expect(claim(firstRun, "Lost").status).toBe("Degraded");
  });

  it("the annotation the script reads is the one the render writes", () => {
    expect(claimScript).toContain(`annotations["${bindsOnFirstRunAnnotation}"]`);
  });
});
