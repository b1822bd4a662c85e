// rendered/<env>/SUMMARY.md: written by the render, the same bytes every run, stale-checked like
// any rendered file, invisible to Argo CD and the policy run, and true to the rendered objects
// and the contract.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { records } from "../core/contract/index";
import { loadEnvironment } from "../core/settings/load";
import { environmentSummary } from "../generator/environment-summary";
import { loadManifests } from "../policies/engine/load";
import { environmentsDir, repoRoot, type Json } from "./support/repo";
import { render } from "./support/render";

const summaryOf = (environment: string) => render(environment).files.find((file) => file.path === `rendered/${environment}/SUMMARY.md`)!.content;

describe.each(["dev", "prod"])("%s SUMMARY.md", (environment) => {
  const summary = summaryOf(environment);

  it("is what the render writes, byte for byte the committed file, and the same on a second render", () => {
    expect(summary).toBe(readFileSync(join(repoRoot, "rendered", environment, "SUMMARY.md"), "utf8"));
    expect(summaryOf(environment)).toBe(summary);
  });

  it("lists every workload the environment runs, each matching its contract record", () => {
    const { deployed } = loadEnvironment(environmentsDir, environment, repoRoot);
    const rows = summary.split("\n").filter((line) => /^\| [a-z0-9-]+ \| (Deployment|StatefulSet|DaemonSet|CronJob|Job) \|/.test(line));
    expect(rows.map((row) => row.split(" | ")[0]!.slice(2))).toEqual(deployed);
    for (const row of rows) expect(row.endsWith("| ✓ |"), row).toBe(true);
  });

  it("counts the objects the policy run reads, by app group", () => {
    const { manifests } = loadManifests([join(repoRoot, "rendered", environment)]);
    expect(summary).toContain(`\n${manifests.length} objects; requests `);
    const groupRows = summary.split("\n").filter((line) => /^\| [a-z-]+ \((wave \d|Argo CD's own objects)\) \| \d+ \|/.test(line));
    expect(groupRows.reduce((sum, row) => sum + Number(row.split(" | ")[1]), 0)).toBe(manifests.length);
  });

  it("draws every allowed flow of the contract between nodes it declares", () => {
    const graph = graphOf(summary);
    const declared = new Set([...graph.matchAll(/^\s+(n_[A-Za-z0-9_]+)[[(]/gm)].map((match) => match[1]));
    const edges = [...graph.matchAll(/^\s+(n_\w+) (-->|-\.->)\|"[^"]*"\| (n_\w+)$/gm)];
    expect(edges.length).toBeGreaterThan(30);
    for (const [, from, , to] of edges) {
      expect(declared, from).toContain(from);
      expect(declared, to).toContain(to);
    }
    expect(graph).toContain('n_traffic -->|"80"| n_frontend');
    expect(graph).toContain('n_prometheus -.->|"9100"| n_node_exporter');
  });
});

/** The flow graph of a summary: the text of its mermaid block. */
const graphOf = (summary: string) => summary.slice(summary.indexOf("```mermaid\n") + 11, summary.lastIndexOf("```"));

describe("the flow graph", () => {
  // mermaid's own parser (the one GitHub draws with). It needs a DOM to load (DOMPurify), so the
  // test gives it one from jsdom, for this file only.
  let mermaid: { parse(text: string): Promise<unknown> };
  beforeAll(async () => {
    const { JSDOM } = await import("jsdom");
    const { window } = new JSDOM("");
    Object.assign(globalThis, { window, document: window.document });
    mermaid = (await import("mermaid")).default;
  });
  afterAll(() => {
    delete (globalThis as { window?: unknown }).window;
    delete (globalThis as { document?: unknown }).document;
  });

  it.each(["dev", "prod"])("%s: parses as a mermaid flowchart", async (environment) => {
    await expect(mermaid.parse(graphOf(summaryOf(environment)))).resolves.toMatchObject({ diagramType: "flowchart-v2" });
  });

  it("mermaid refuses a broken graph (the check can fail)", async () => {
    const broken = graphOf(summaryOf("dev")).replace('-->|"80"|', '-->|"80|');
    await expect(mermaid.parse(broken)).rejects.toThrow(/Parse error/);
  });
});

describe("SUMMARY.md", () => {
  it("is not a manifest: the policy run (like Argo CD) reads .yaml, .yml and .json only", () => {
    const { manifests, problems } = loadManifests([join(repoRoot, "rendered", "prod")]);
    expect(manifests.some((m) => m.file.endsWith(".md"))).toBe(false);
    expect(problems).toEqual([]);
  });

  it("names what departs from the contract: a resource, a claim size", () => {
    const { settings, deployed } = loadEnvironment(environmentsDir, "dev", repoRoot);
    const objects = render("dev").objects as Json[];
    const changed = structuredClone(objects);
    const cart = changed.find((o) => o.kind === "Deployment" && o.metadata.name === "cartservice")!;
    cart.spec.template.spec.containers[0].resources.limits.memory = "1Gi";
    const postgres = changed.find((o) => o.kind === "StatefulSet" && o.metadata.name === "postgres")!;
    postgres.spec.volumeClaimTemplates[0].spec.resources.requests.storage = "1Gi";
    const summary = environmentSummary({ environment: "dev", settingsFile: "environments/dev/settings.yaml", settings, deployed, objects: changed.map((object) => ({ group: "x", object })) });
    expect(summary).toContain(`✗ server limits.memory 1Gi, contract ${records.cartservice.containers.server!.resources.limits.memory}`);
    expect(summary).toContain(`✗ postgres-pvc 1Gi, contract ${records.postgres.volumeClaims!["postgres-pvc"]}`);
  });
});
