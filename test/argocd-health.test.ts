// The Application health check the app-of-apps waves depend on, run by a real Lua 5.1 interpreter
// (Argo CD runs these scripts with gopher-lua, a Lua 5.1 implementation).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./support/repo";

const script = readFileSync(join(repoRoot, "generator", "argocd-application-health.lua"), "utf8");

/** Runs the health script on an Application whose status is given as a Lua table literal. */
function health(statusTable: string): { status: string; message: string } {
  const harness = `obj = { status = ${statusTable} }\nlocal hs = (function()\n${script}\nend)()\nio.write(hs.status, "\\n", hs.message)`;
  const [status, message] = execFileSync("lua5.1", ["-e", harness], { encoding: "utf8" }).split("\n");
  return { status: status!, message: message ?? "" };
}

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
