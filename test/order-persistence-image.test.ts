// The publish path of our own image. No Docker daemon or GitHub runner here: the workflow is
// read as data (yaml) and checked against the Dockerfile it builds and the settings it feeds.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = join(import.meta.dirname, "..");
const workflowFile = join(root, ".github/workflows/order-persistence-image.yml");
const dockerfile = readFileSync(join(root, "services/order-persistence/Dockerfile"), "utf8");
const workflow = parse(readFileSync(workflowFile, "utf8")) as {
  on: { push: { paths: string[] } };
  permissions: Record<string, string>;
  env: { NODE_IMAGE: string };
  jobs: { image: { steps: { id?: string; uses?: string; run?: string; with?: Record<string, string> }[] } };
};
const steps = workflow.jobs.image.steps;
const build = steps.find((step) => step.id === "build")!;

describe("the order-persistence image workflow", () => {
  it("builds the service's Dockerfile from the repository root for amd64 and arm64 and pushes it", () => {
    expect(build.uses).toMatch(/^docker\/build-push-action@/);
    expect(build.with).toMatchObject({ context: ".", file: "services/order-persistence/Dockerfile", push: true });
    expect(build.with!.platforms!.split(",").sort()).toEqual(["linux/amd64", "linux/arm64"]);
  });

  it("pushes to this repository's GitHub container registry, lower-cased, with only the permissions that needs", () => {
    expect(steps.find((step) => step.id === "name")!.run).toContain("ghcr.io/${GITHUB_REPOSITORY,,}/order-persistence");
    expect(workflow.permissions).toEqual({ contents: "read", packages: "write", attestations: "write", "id-token": "write" });
  });

  it("prints the pushed digest and the settings line that pins it", () => {
    const print = steps.at(-1)!;
    expect(print.run).toContain('echo "digest: $DIGEST"');
    expect(print.run).toContain("orderPersistence: $reference");
    expect(JSON.stringify(print)).toContain("steps.build.outputs.digest");
  });

  it("builds on the Dockerfile's own base image, resolved to a digest first", () => {
    const dockerfileDefault = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)![1];
    expect(workflow.env.NODE_IMAGE).toBe(dockerfileDefault);
    expect(build.with!["build-args"]).toBe("NODE_IMAGE=${{ steps.base.outputs.reference }}");
    expect(steps.find((step) => step.id === "base")!.run).toContain("$NODE_IMAGE@$digest");
  });

  it("runs when the service, the lockfile or the workflow itself changes", () => {
    expect(workflow.on.push.paths).toEqual(expect.arrayContaining(["services/order-persistence/**", "package-lock.json"]));
  });
});

describe("the order-persistence Dockerfile", () => {
  it("builds on the current Node LTS line (24), at an exact release", () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-alpine$/m);
  });

  it("copies only what exists in the repository", () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1]!.split(" "));
    expect(sources.length).toBeGreaterThan(2);
    for (const source of sources) expect(existsSync(join(root, source)), source).toBe(true);
  });

  it("runs as the numeric non-root user the pod's runAsNonRoot can verify", () => {
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
  });
});
