// policies/report.ts and policies/cli.ts in-process: what the text, JSON and SARIF reports say
// about findings and reachability, and what `npm run policy` checks, prints and exits with.
// (test/policy-cli.test.ts runs the bundle in a child process; these specify the modules
// themselves, where mutation testing can see them.)
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { records } from "../core/contract/index";
import { UserError } from "../core/errors";
import { main, runPolicy } from "../policies/cli";
import { loadManifests } from "../policies/engine/load";
import type { Finding, Rule } from "../policies/engine/types";
import { jsonReport, sarifReport, textReport, type TreeResult } from "../policies/report";
import { rules as allRules } from "../policies/rules/index";
import { expectedFlows } from "../policies/rules/network";
import { repoRoot } from "./support/repo";
import { loadEnvironment } from "../core/settings/load";

/** The flows the contract allows in prod need its settings: where the API server is. */
const prodSettings = loadEnvironment(join(repoRoot, "environments"), "prod", repoRoot).settings;

// Every file read, so a test can count how often the SARIF report reads one.
const reads = vi.hoisted(() => [] as string[]);
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const readFileSync = ((...args: Parameters<typeof fs.readFileSync>) => {
    reads.push(String(args[0]));
    return fs.readFileSync(...args);
  }) as typeof fs.readFileSync;
  return { ...fs, readFileSync };
});

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
  reads.length = 0;
  vi.restoreAllMocks();
});

function scratchDir(prefix = "policy-report-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A copy of rendered/prod somewhere else, named unlike any environment. */
function prodCopy(): string {
  const dir = scratchDir("policy-tree-");
  cpSync(join(repoRoot, "rendered", "prod"), dir, { recursive: true });
  return dir;
}

const rule = (id: string, severity: Rule["severity"], theme: Rule["theme"], title: string, fix: string): Rule => ({ id, severity, theme, title, fix, check: () => [] });
const hostNetwork = rule("SEC008", "error", "security", "no host network", "Drop hostNetwork.");
const settingsKnown = rule("POL001", "warning", "schema", "the environment's settings are known", "Name the environment with --env.");
const rules = [hostNetwork, settingsKnown];

const finding = (overrides: Partial<Finding> = {}): Finding => ({
  rule: "SEC008",
  severity: "error",
  file: "rendered/prod/web.yaml",
  object: "Deployment shop/web",
  message: "uses the host network",
  fix: "Drop hostNetwork.",
  ...overrides,
});
const warning = (overrides: Partial<Finding> = {}): Finding =>
  finding({ rule: "POL001", severity: "warning", file: "rendered/prod", object: "(whole tree)", message: "no environments/prod/settings.yaml", fix: "Name the environment with --env.", ...overrides });

const tree = (overrides: Partial<TreeResult> = {}): TreeResult => ({ environment: "prod", root: "rendered/prod", objects: 12, findings: [], flows: [], missingFlows: 0, extraFlows: 0, ...overrides });

const header = (counts: string, root = "rendered/prod", environment = "prod", objects = 12, ruleCount = 2) => `${root} (environment ${environment}): ${objects} objects, ${ruleCount} rules — ${counts}`;

describe("textReport", () => {
  it("a clean tree is a header with no findings and a reachability line that equals the contract", () => {
    expect(textReport([tree()], rules, false)).toBe([header("0 error(s), 0 warning(s), 0 exemption(s)"), "  reachability: 0 allowed flows; equals the contract"].join("\n"));
  });

  it("the header counts the rules it was given, whatever the findings", () => {
    expect(textReport([tree()], [], false).split("\n")[0]).toBe(header("0 error(s), 0 warning(s), 0 exemption(s)", "rendered/prod", "prod", 12, 0));
    expect(textReport([tree({ objects: 3 })], [...rules, rule("NET001", "error", "network", "default deny", "Add one.")], false).split("\n")[0]).toBe(
      header("0 error(s), 0 warning(s), 0 exemption(s)", "rendered/prod", "prod", 3, 3),
    );
  });

  it("an error is an ERROR line with file, object, path and message, followed by its fix", () => {
    const text = textReport([tree({ findings: [finding({ path: "/spec/template/spec/hostNetwork" })] })], rules, false);
    expect(text).toBe(
      [
        header("1 error(s), 0 warning(s), 0 exemption(s)"),
        "  ERROR SEC008 rendered/prod/web.yaml Deployment shop/web /spec/template/spec/hostNetwork: uses the host network",
        "        fix: Drop hostNetwork.",
        "  reachability: 0 allowed flows; equals the contract",
      ].join("\n"),
    );
  });

  it("a warning is a `warn ` line (as wide as ERROR); without a path the object is followed by the message", () => {
    const text = textReport([tree({ findings: [warning()] })], rules, false);
    expect(text).toBe(
      [
        header("0 error(s), 1 warning(s), 0 exemption(s)"),
        "  warn  POL001 rendered/prod (whole tree): no environments/prod/settings.yaml",
        "        fix: Name the environment with --env.",
        "  reachability: 0 allowed flows; equals the contract",
      ].join("\n"),
    );
  });

  it("errors come before warnings, each in the order found", () => {
    const findings = [warning({ message: "w1" }), finding({ message: "e1" }), warning({ message: "w2" }), finding({ message: "e2", path: "/spec" })];
    const lines = textReport([tree({ findings })], rules, false).split("\n");
    expect(lines[0]).toBe(header("2 error(s), 2 warning(s), 0 exemption(s)"));
    expect(lines.filter((line) => !line.startsWith("        fix: ")).slice(1, -1)).toEqual([
      "  ERROR SEC008 rendered/prod/web.yaml Deployment shop/web: e1",
      "  ERROR SEC008 rendered/prod/web.yaml Deployment shop/web /spec: e2",
      "  warn  POL001 rendered/prod (whole tree): w1",
      "  warn  POL001 rendered/prod (whole tree): w2",
    ]);
  });

  it("an exempted finding counts as an exemption, not as an error or a warning, and is printed with its reason (no file, path or fix)", () => {
    const findings = [
      finding({ object: "DaemonSet monitoring/node-exporter", path: "/spec/template/spec/hostNetwork", exemption: "reads host network statistics" }),
      finding({ message: "real error" }),
      warning({ object: "DaemonSet monitoring/node-exporter", message: "exempted warning", exemption: "a node agent" }),
    ];
    expect(textReport([tree({ findings })], rules, false)).toBe(
      [
        header("1 error(s), 0 warning(s), 2 exemption(s)"),
        "  ERROR SEC008 rendered/prod/web.yaml Deployment shop/web: real error",
        "        fix: Drop hostNetwork.",
        "  exempt SEC008 DaemonSet monitoring/node-exporter: uses the host network — reason: reads host network statistics",
        "  exempt POL001 DaemonSet monitoring/node-exporter: exempted warning — reason: a node agent",
        "  reachability: 0 allowed flows; equals the contract",
      ].join("\n"),
    );
  });

  it("reachability that differs from the contract says how many flows are missing and how many extra", () => {
    const flows = [{ from: "shop/web", to: "shop/api", port: 8080, protocol: "TCP" as const }];
    expect(textReport([tree({ flows, missingFlows: 2, extraFlows: 0 })], rules, false).split("\n").at(-1)).toBe("  reachability: 1 allowed flows; differs from the contract (2 missing, 0 extra)");
    expect(textReport([tree({ flows, missingFlows: 0, extraFlows: 1 })], rules, false).split("\n").at(-1)).toBe("  reachability: 1 allowed flows; differs from the contract (0 missing, 1 extra)");
    expect(textReport([tree({ flows, missingFlows: 3, extraFlows: 4 })], rules, false).split("\n").at(-1)).toBe("  reachability: 1 allowed flows; differs from the contract (3 missing, 4 extra)");
  });

  it("the matrix lists each allowed flow, in order, only when asked; port 0 is printed as any", () => {
    const flows = [
      { from: "shop/web", to: "shop/api", port: 8080, protocol: "TCP" as const },
      { from: "shop/api", to: "external", port: 0, protocol: "UDP" as const },
    ];
    expect(textReport([tree({ flows })], rules, false)).toBe([header("0 error(s), 0 warning(s), 0 exemption(s)"), "  reachability: 2 allowed flows; equals the contract"].join("\n"));
    expect(textReport([tree({ flows })], rules, true)).toBe(
      [header("0 error(s), 0 warning(s), 0 exemption(s)"), "  reachability: 2 allowed flows; equals the contract", "    shop/web → shop/api:8080/TCP", "    shop/api → external:any/UDP"].join("\n"),
    );
  });

  it("several trees are reported one after the other, each with its own counts", () => {
    const text = textReport([tree({ root: "rendered/dev", environment: "dev", objects: 5, findings: [warning()] }), tree({ findings: [finding()], missingFlows: 1 })], rules, false);
    expect(text).toBe(
      [
        header("0 error(s), 1 warning(s), 0 exemption(s)", "rendered/dev", "dev", 5),
        "  warn  POL001 rendered/prod (whole tree): no environments/prod/settings.yaml",
        "        fix: Name the environment with --env.",
        "  reachability: 0 allowed flows; equals the contract",
        header("1 error(s), 0 warning(s), 0 exemption(s)"),
        "  ERROR SEC008 rendered/prod/web.yaml Deployment shop/web: uses the host network",
        "        fix: Drop hostNetwork.",
        "  reachability: 0 allowed flows; differs from the contract (1 missing, 0 extra)",
      ].join("\n"),
    );
  });

  it("no trees is an empty report", () => {
    expect(textReport([], rules, true)).toBe("");
  });
});

describe("jsonReport", () => {
  it("is the results, as they are, under `results`, indented by two spaces", () => {
    const result = tree({ objects: 1, findings: [finding({ path: "/spec", exemption: "why" })], flows: [{ from: "a/b", to: "c/d", port: 0, protocol: "TCP" }], missingFlows: 1, extraFlows: 2 });
    expect(jsonReport([result])).toBe(`{
  "results": [
    {
      "environment": "prod",
      "root": "rendered/prod",
      "objects": 1,
      "findings": [
        {
          "rule": "SEC008",
          "severity": "error",
          "file": "rendered/prod/web.yaml",
          "object": "Deployment shop/web",
          "message": "uses the host network",
          "fix": "Drop hostNetwork.",
          "path": "/spec",
          "exemption": "why"
        }
      ],
      "flows": [
        {
          "from": "a/b",
          "to": "c/d",
          "port": 0,
          "protocol": "TCP"
        }
      ],
      "missingFlows": 1,
      "extraFlows": 2
    }
  ]
}`);
  });

  it("no trees is an empty list of results", () => {
    expect(jsonReport([])).toBe('{\n  "results": []\n}');
  });
});

describe("sarifReport", () => {
  const sarif = (results: TreeResult[], repo = repoRoot, withRules: readonly Rule[] = rules) => JSON.parse(sarifReport(results, withRules, repo));
  const resultsOf = (findings: Finding[], repo = repoRoot) => sarif([tree({ findings })], repo).runs[0].results;

  /** A DaemonSet in a scratch repository: hostNetwork on line 8, column 7; the image on line 11, column 11. */
  function yamlRepo(): { root: string; file: string } {
    const root = scratchDir();
    mkdirSync(join(root, "rendered", "prod"), { recursive: true });
    const file = join(root, "rendered", "prod", "daemonset-agent.yaml");
    writeFileSync(
      file,
      ["apiVersion: apps/v1", "kind: DaemonSet", "metadata:", "  name: agent", "spec:", "  template:", "    spec:", "      hostNetwork: true", "      containers:", "        - name: agent", "          image: agent:1.0", ""].join("\n"),
    );
    return { root, file };
  }

  it("is a SARIF 2.1.0 document, indented by two spaces, with one run whose driver is the policy engine and its rules", () => {
    const text = sarifReport([], rules, repoRoot);
    expect(text.startsWith('{\n  "$schema": ')).toBe(true);
    expect(JSON.parse(text)).toEqual({
      $schema: "https://json.schemastore.org/sarif-2.1.0.json",
      version: "2.1.0",
      runs: [
        {
          tool: {
            driver: {
              name: "online-boutique-policies",
              informationUri: "https://github.com/example-org/online-boutique-gitops",
              rules: [
                { id: "SEC008", name: "SEC008", shortDescription: { text: "no host network" }, help: { text: "Drop hostNetwork." }, defaultConfiguration: { level: "error" }, properties: { tags: ["security"] } },
                {
                  id: "POL001",
                  name: "POL001",
                  shortDescription: { text: "the environment's settings are known" },
                  help: { text: "Name the environment with --env." },
                  defaultConfiguration: { level: "warning" },
                  properties: { tags: ["schema"] },
                },
              ],
            },
          },
          results: [],
        },
      ],
    });
  });

  it("an error finding is an error result whose message is the object, the path and the message", () => {
    expect(resultsOf([finding({ path: "/spec/template/spec/hostNetwork" })])).toEqual([
      {
        ruleId: "SEC008",
        level: "error",
        message: { text: "Deployment shop/web /spec/template/spec/hostNetwork: uses the host network" },
        locations: [{ physicalLocation: { artifactLocation: { uri: "rendered/prod/web.yaml" } } }],
      },
    ]);
  });

  it("a warning finding without a path is a warning result whose message is the object and the message", () => {
    expect(resultsOf([warning()])).toEqual([
      { ruleId: "POL001", level: "warning", message: { text: "(whole tree): no environments/prod/settings.yaml" }, locations: [{ physicalLocation: { artifactLocation: { uri: "rendered/prod" } } }] },
    ]);
  });

  it("a finding with an exemption is a SARIF note with an inSource suppression giving the reason, whatever its severity", () => {
    const [error, warned] = resultsOf([finding({ exemption: "reads host network statistics" }), warning({ exemption: "a node agent" })]);
    expect(error).toEqual({
      ruleId: "SEC008",
      level: "note",
      message: { text: "Deployment shop/web: uses the host network" },
      locations: [{ physicalLocation: { artifactLocation: { uri: "rendered/prod/web.yaml" } } }],
      suppressions: [{ kind: "inSource", justification: "reads host network statistics" }],
    });
    expect(warned).toMatchObject({ ruleId: "POL001", level: "note", suppressions: [{ kind: "inSource", justification: "a node agent" }] });
  });

  it("a finding without an exemption has no suppressions", () => {
    for (const result of resultsOf([finding(), warning()])) expect(Object.keys(result)).toEqual(["ruleId", "level", "message", "locations"]);
  });

  it("the findings of several trees are the results of the one run, in order", () => {
    const document = sarif([tree({ findings: [finding({ message: "first" })] }), tree({ environment: "dev", findings: [warning({ message: "second" }), finding({ message: "third" })] })]);
    expect(document.runs).toHaveLength(1);
    expect(document.runs[0].results.map((r: { message: { text: string } }) => r.message.text)).toEqual(["Deployment shop/web: first", "(whole tree): second", "Deployment shop/web: third"]);
  });

  it("the uri is the file relative to the repository root, with forward slashes; a relative file is taken from the working directory", () => {
    const root = scratchDir();
    const [absolute] = resultsOf([finding({ file: join(root, "rendered", "prod", "a", "web.yaml") })], root);
    expect(absolute.locations).toEqual([{ physicalLocation: { artifactLocation: { uri: "rendered/prod/a/web.yaml" } } }]);
    const [fromCwd] = resultsOf([finding({ file: "rendered/prod/a/web.yaml" })], join(process.cwd(), "rendered"));
    expect(fromCwd.locations[0].physicalLocation.artifactLocation.uri).toBe("prod/a/web.yaml");
  });

  it("a finding about a field of an existing YAML file is located at the line and column of that field", () => {
    const { root, file } = yamlRepo();
    const [network, image] = resultsOf([finding({ file, path: "/spec/template/spec/hostNetwork" }), finding({ file, path: "/spec/template/spec/containers/0/image" })], root);
    expect(network.locations).toEqual([{ physicalLocation: { artifactLocation: { uri: "rendered/prod/daemonset-agent.yaml" }, region: { startLine: 8, startColumn: 7 } } }]);
    expect(image.locations).toEqual([{ physicalLocation: { artifactLocation: { uri: "rendered/prod/daemonset-agent.yaml" }, region: { startLine: 11, startColumn: 11 } } }]);
  });

  it("in a file of several YAML documents, a finding is located in its own object's document", () => {
    const root = scratchDir();
    const file = join(root, "rendered", "prod", "bundle.yaml");
    mkdirSync(join(root, "rendered", "prod"), { recursive: true });
    writeFileSync(file, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: second\nstringData:\n  password: x\n");
    const { manifests } = loadManifests([file]);
    expect(manifests.map((m) => m.document)).toEqual([undefined, 1]);
    const [secret] = resultsOf([finding({ file, document: 1, path: "/stringData/password" })], root);
    expect(secret.locations[0].physicalLocation.region).toEqual({ startLine: 11, startColumn: 3 });
    const [configMap] = resultsOf([finding({ file, path: "/metadata/name" })], root);
    expect(configMap.locations[0].physicalLocation.region).toEqual({ startLine: 4, startColumn: 3 });
  });

  it("a file is read once for the whole report, however many findings locate in it", () => {
    const { root, file } = yamlRepo();
    reads.length = 0;
    const results = resultsOf([finding({ file, path: "/spec" }), finding({ file, path: "/metadata/name" }), warning({ file, path: "/kind" })], root);
    expect(results.map((r: { locations: { physicalLocation: { region: unknown } }[] }) => r.locations[0]!.physicalLocation.region)).toEqual([
      { startLine: 5, startColumn: 1 },
      { startLine: 4, startColumn: 3 },
      { startLine: 2, startColumn: 1 },
    ]);
    expect(reads.filter((read) => read === file)).toEqual([file]);
  });

  it("has no region when the finding names no field, the file does not exist, or it is a directory", () => {
    const { root, file } = yamlRepo();
    const findings = [finding({ file }), finding({ file: join(root, "rendered", "prod", "gone.yaml"), path: "/spec" }), finding({ file: join(root, "rendered", "prod"), path: "/spec" })];
    expect(resultsOf(findings, root).map((r: { locations: unknown }) => r.locations)).toEqual([
      [{ physicalLocation: { artifactLocation: { uri: "rendered/prod/daemonset-agent.yaml" } } }],
      [{ physicalLocation: { artifactLocation: { uri: "rendered/prod/gone.yaml" } } }],
      [{ physicalLocation: { artifactLocation: { uri: "rendered/prod" } } }],
    ]);
  });
});

describe("runPolicy", () => {
  const failure = (argv: string[]): UserError => {
    try {
      runPolicy(argv);
    } catch (error) {
      return error as UserError;
    }
    throw new Error(`runPolicy ${argv.join(" ")} did not throw`);
  };
  const shown = (dir: string) => relative(process.cwd(), dir);

  /** The node agent's exemptions, as every run over rendered/prod lists them: its host access, with its record's reasons. */
  const access = records["node-exporter"].hostAccess!;
  const nodeAgentExemptions = [
    `  exempt SEC008 DaemonSet monitoring/node-exporter: pod uses hostNetwork — reason: ${access.hostNetwork}`,
    `  exempt SEC009 DaemonSet monitoring/node-exporter: pod uses hostPID — reason: ${access.hostPID}`,
    ...Object.entries(access.hostPaths!.volumes).map(([volume, path]) => `  exempt SEC012 DaemonSet monitoring/node-exporter: volume ${volume} mounts host path ${path} — reason: ${access.hostPaths!.reason}`),
  ];

  /** The whole text report of a copy of rendered/prod checked as prod, with these finding lines (errors). */
  const prodReport = (dir: string, findingLines: string[] = []) => {
    const manifests = loadManifests([dir]).manifests;
    return [
      `${shown(dir)} (environment prod): ${manifests.length} objects, ${allRules.length} rules — ${findingLines.length / 2} error(s), 0 warning(s), ${nodeAgentExemptions.length} exemption(s)`,
      ...findingLines,
      ...nodeAgentExemptions,
      `  reachability: ${expectedFlows(manifests, prodSettings).length} allowed flows; equals the contract`,
    ].join("\n");
  };
  const cleanProd = (dir: string) => prodReport(dir);

  it("--help (or -h) is the usage, exit 0, and checks nothing", () => {
    const usage = "usage: npm run policy -- [--env <name>] [--format text|json|sarif] [--matrix] [--timings] [--root <repo>] [dir ...]";
    expect(runPolicy(["--help", "--format", "xml"])).toEqual({ exitCode: 0, output: usage });
    expect(runPolicy(["-h"])).toEqual({ exitCode: 0, output: usage });
  });

  it("a --format other than text, json or sarif is a usage error (exit 2)", () => {
    const error = failure(["--format", "xml"]);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe("--format xml: expected text, json or sarif");
    expect(error.exitCode).toBe(2);
  });

  it("a directory that is not one is a usage error (exit 2): a file, or nothing at all", () => {
    const dir = scratchDir();
    writeFileSync(join(dir, "file.yaml"), "kind: x\n");
    for (const path of [join(dir, "file.yaml"), join(dir, "missing")]) {
      const error = failure(["--env", "prod", path]);
      expect(error).toBeInstanceOf(UserError);
      expect(error.message).toBe(`${path}: not a directory`);
      expect(error.exitCode).toBe(2);
    }
  });

  it("without directories and with no rendered/, or one without environment folders, there is nothing to check (exit 2)", () => {
    const root = scratchDir();
    const error = failure(["--root", root]);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe(`nothing to check: no directories given and ${shown(join(root, "rendered"))} does not exist (run \`npm run render\` first)`);
    expect(error.exitCode).toBe(2);
    // Nor does a repository that does not exist, or is a file (no lock file can be made there either).
    expect(failure(["--root", join(root, "missing")]).message).toBe(`nothing to check: no directories given and ${shown(join(root, "missing", "rendered"))} does not exist (run \`npm run render\` first)`);
    writeFileSync(join(root, "a-file"), "");
    expect(failure(["--root", join(root, "a-file")]).message).toBe(`nothing to check: no directories given and ${shown(join(root, "a-file", "rendered"))} does not exist (run \`npm run render\` first)`);
    mkdirSync(join(root, "rendered"));
    writeFileSync(join(root, "rendered", "README.md"), "not an environment\n");
    mkdirSync(join(root, "rendered", ".git-crypt"));
    expect(failure(["--root", root]).message).toBe(`nothing to check: no directories given and ${shown(join(root, "rendered"))} holds no environment folder (run \`npm run render\` first)`);
    // From inside that rendered/ its relative name would be empty: the full path is given instead.
    vi.spyOn(process, "cwd").mockReturnValue(join(root, "rendered"));
    expect(failure(["--root", root]).message).toBe(`nothing to check: no directories given and ${join(root, "rendered")} holds no environment folder (run \`npm run render\` first)`);
  });

  it("a file or hidden folder beside the environment folders of rendered/ is not checked as an environment", () => {
    const root = scratchDir();
    cpSync(join(repoRoot, "rendered", "prod"), join(root, "rendered", "prod"), { recursive: true });
    cpSync(join(repoRoot, "environments"), join(root, "environments"), { recursive: true });
    writeFileSync(join(root, "rendered", "README.md"), "what this folder is\n");
    mkdirSync(join(root, "rendered", ".cache"));
    const { exitCode, output } = runPolicy(["--root", root]);
    expect(exitCode).toBe(0);
    expect(output.split("\n").filter((line) => !line.startsWith(" "))).toEqual([expect.stringMatching(/rendered\/prod \(environment prod\): /)]);
  });

  it("a copy of rendered/prod checked as prod passes (exit 0) with the text report", () => {
    const dir = prodCopy();
    expect(runPolicy(["--env", "prod", dir])).toEqual({ exitCode: 0, output: cleanProd(dir) });
  });

  it("a directory is named relative to the working directory, and . when it is the working directory", () => {
    expect(runPolicy(["rendered/prod"]).output.split("\n")[0]).toMatch(/^rendered\/prod \(environment prod\): \d+ objects, \d+ rules — 0 error\(s\), 0 warning\(s\), 5 exemption\(s\)$/);
    const dir = prodCopy();
    vi.spyOn(process, "cwd").mockReturnValue(dir);
    expect(runPolicy(["--env", "prod", "--root", repoRoot, "."]).output.split("\n")[0]).toMatch(/^\. \(environment prod\): /);
  });

  it("--matrix adds the allowed flows to the report", () => {
    const dir = prodCopy();
    const { exitCode, output } = runPolicy(["--env", "prod", "--matrix", dir]);
    expect(exitCode).toBe(0);
    const printed = output.split("\n").filter((line) => line.startsWith("    "));
    expect(printed).toHaveLength(expectedFlows(loadManifests([dir]).manifests, prodSettings).length);
    expect(printed).toContain("    microservices-demo/cartservice → microservices-demo/redis:6379/TCP");
  });

  it("a hand-made violation fails (exit 1) naming the rule, the file and the object", () => {
    const dir = prodCopy();
    const labels = ["name: db", "part-of: online-boutique", "component: database", "managed-by: online-boutique-gitops"].map((label) => `    app.kubernetes.io/${label}\n`).join("");
    appendFileSync(join(dir, "online-boutique", "secret.yaml"), `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: microservices-demo\n  labels:\n${labels}stringData:\n  password: hunter2\n`);
    expect(runPolicy(["--env", "prod", dir])).toEqual({
      exitCode: 1,
      output: prodReport(dir, [
        `  ERROR SCR001 ${dir}/online-boutique/secret.yaml Secret microservices-demo/db /stringData: Secret carries values in Git`,
        `        fix: ${allRules.find((r) => r.id === "SCR001")!.fix}`,
      ]),
    });
  });

  it("--format json is the JSON report", () => {
    const dir = prodCopy();
    const { exitCode, output } = runPolicy(["--env", "prod", "--format", "json", dir]);
    expect(exitCode).toBe(0);
    const json = JSON.parse(output);
    expect(json.results).toHaveLength(1);
    expect(json.results[0]).toMatchObject({ environment: "prod", root: shown(dir), missingFlows: 0, extraFlows: 0 });
    expect(json.results[0].findings.map((finding: { rule: string; exemption?: string }) => `${finding.rule}: ${finding.exemption}`)).toEqual(nodeAgentExemptions.map((line) => line.replace(/^ {2}exempt (\w+) .* — reason: (.*)$/, "$1: $2")));
  });

  it("--format sarif is the SARIF report, with every rule and locations relative to the repository", () => {
    const dir = prodCopy();
    rmSync(join(dir, "platform/network-policies/networkpolicy-default-deny.yaml"));
    const { exitCode, output } = runPolicy(["--env", "prod", "--format", "sarif", "--root", dir, dir]);
    expect(exitCode).toBe(1);
    const sarif = JSON.parse(output);
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(allRules.map((r) => r.id));
    const results = sarif.runs[0].results.filter((r: { ruleId: string }) => r.ruleId === "NET001");
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) expect(result.locations[0].physicalLocation.artifactLocation.uri).not.toMatch(/^(\.\.|\/)/);
  });

  it("a tree whose environment has no settings gets the POL001 warning, and the registry check fails closed (exit 1)", () => {
    const dir = prodCopy();
    const { exitCode, output } = runPolicy([dir]);
    expect(exitCode).toBe(1);
    const lines = output.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^${shown(dir)} \\(environment ${basename(dir)}\\): \\d+ objects, ${allRules.length} rules — [1-9]\\d* error\\(s\\), 1 warning\\(s\\), ${nodeAgentExemptions.length} exemption\\(s\\)$`));
    expect(lines).toContain(
      `  warn  POL001 ${dir} (whole tree): no environments/${basename(dir)}/settings.yaml: only the contract's registries are allowed (IMG002), storage class (STO002) and minimum replicas (AVL001) are not checked`,
    );
    expect(lines.some((line) => line.startsWith("  ERROR IMG002 "))).toBe(true);
  });

  it("the settings are read from the environments/ of --root: a repository without them gets POL001 even for prod", () => {
    const root = scratchDir();
    cpSync(join(repoRoot, "rendered", "prod"), join(root, "rendered", "prod"), { recursive: true });
    expect(runPolicy(["--root", root]).output).toContain("  warn  POL001 ");
    cpSync(join(repoRoot, "environments"), join(root, "environments"), { recursive: true });
    expect(runPolicy(["--root", root])).toEqual({ exitCode: 0, output: cleanProd(join(root, "rendered", "prod")) });
  });

  it("without directories every rendered/<env> of the repository is checked, in name order, as the environment it is named after", () => {
    const root = scratchDir();
    mkdirSync(join(root, "rendered", "zeta"), { recursive: true });
    mkdirSync(join(root, "rendered", "alpha"));
    const { exitCode, output } = runPolicy(["--root", root]);
    expect(exitCode).toBe(1);
    const headers = output.split("\n").filter((line) => !line.startsWith(" ")).map((line) => line.slice(0, line.indexOf(":")));
    expect(headers).toEqual([`${shown(join(root, "rendered", "alpha"))} (environment alpha)`, `${shown(join(root, "rendered", "zeta"))} (environment zeta)`]);
  });

  it("directories given are checked in the order given, all as the --env environment", () => {
    const root = scratchDir();
    mkdirSync(join(root, "b"));
    mkdirSync(join(root, "a"));
    const headers = runPolicy(["--env", "staging", join(root, "b"), join(root, "a")])
      .output.split("\n")
      .filter((line) => !line.startsWith(" "))
      .map((line) => line.slice(0, line.indexOf(":")));
    expect(headers).toEqual([`${shown(join(root, "b"))} (environment staging)`, `${shown(join(root, "a"))} (environment staging)`]);
  });

  describe("with the rules it is given", () => {
    const everyObject = (severity: Rule["severity"], id = "TST001"): Rule => ({ ...rule(id, severity, "schema", "flags every object", "Do not."), check: ({ manifests }) => manifests.map((manifest) => ({ manifest, message: "flagged" })) });
    /** A tree of one DaemonSet named like the node agent, whose record grants host access (and so the SEC008 exemption). */
    const treeWith = (annotation?: string) => {
      const dir = scratchDir();
      const annotations = annotation ? `  annotations:\n    online-boutique-gitops/policy-exemptions: "${annotation}"\n` : "";
      writeFileSync(join(dir, "agent.yaml"), `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: node-exporter\n  namespace: monitoring\n${annotations}spec: {}\n`);
      return dir;
    };

    it("only an error that is not exempted fails the run; the node agent may be exempt only from what its host access breaks", () => {
      const dir = treeWith();
      expect(runPolicy(["--env", "test", dir], [everyObject("error")]).exitCode).toBe(1);
      expect(runPolicy(["--env", "test", dir], [everyObject("warning")]).exitCode).toBe(0);
      const exempted = runPolicy(["--env", "test", treeWith("SEC008: a node agent")], [everyObject("error", "SEC008")]);
      expect(exempted.exitCode).toBe(0);
      expect(exempted.output).toContain("  exempt SEC008 DaemonSet monitoring/node-exporter: flagged — reason: a node agent");
      expect(runPolicy(["--env", "test", treeWith("TST001: a node agent")], [everyObject("error")]).exitCode).toBe(1);
    });

    it("the reports count and describe exactly those rules", () => {
      const dir = treeWith();
      const rules = [everyObject("warning")];
      expect(runPolicy(["--env", "test", dir], rules).output.split("\n")[0]).toBe(`${shown(dir)} (environment test): 1 objects, 1 rules — 0 error(s), 1 warning(s), 0 exemption(s)`);
      const sarif = JSON.parse(runPolicy(["--env", "test", "--format", "sarif", dir], rules).output);
      expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(["TST001"]);
      expect(sarif.runs[0].results).toEqual([
        { ruleId: "TST001", level: "warning", message: { text: "DaemonSet monitoring/node-exporter: flagged" }, locations: [{ physicalLocation: { artifactLocation: { uri: relative(repoRoot, join(dir, "agent.yaml")) } } }] },
      ]);
    });
  });
});

describe("main", () => {
  const captured = () => ({ log: vi.spyOn(console, "log").mockImplementation(() => {}), error: vi.spyOn(console, "error").mockImplementation(() => {}) });

  it("prints the report on stdout and returns 0 for a passing tree, with nothing on stderr", () => {
    const { log, error } = captured();
    const dir = prodCopy();
    expect(main(["--env", "prod", dir])).toBe(0);
    expect(log.mock.calls).toEqual([[runPolicy(["--env", "prod", dir]).output]]);
    expect(error).not.toHaveBeenCalled();
  });

  it("returns 1 for a failing tree, the report still on stdout", () => {
    const { log, error } = captured();
    const dir = scratchDir();
    expect(main(["--env", "prod", dir])).toBe(1);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toMatch(/ERROR SCH003 /);
    expect(error).not.toHaveBeenCalled();
  });

  it("a bad --format returns 2 with one `policy:` line on stderr and nothing on stdout", () => {
    const { log, error } = captured();
    expect(main(["--format", "xml"])).toBe(2);
    expect(error.mock.calls).toEqual([["policy: --format xml: expected text, json or sarif"]]);
    expect(log).not.toHaveBeenCalled();
  });

  it("an unknown option returns 2 with the parser's message and the usage on stderr", () => {
    const { log, error } = captured();
    expect(main(["--bogus"])).toBe(2);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]![0]).toMatch(/^policy: .*'--bogus'.*\nusage: npm run policy -- /s);
    expect(log).not.toHaveBeenCalled();
  });

  it("--help prints the usage on stdout and returns 0", () => {
    const { log, error } = captured();
    expect(main(["--help"])).toBe(0);
    expect(log.mock.calls).toEqual([["usage: npm run policy -- [--env <name>] [--format text|json|sarif] [--matrix] [--timings] [--root <repo>] [dir ...]"]]);
    expect(error).not.toHaveBeenCalled();
  });

  it("--timings prints the time spent per phase on stderr, after the report", () => {
    const { log, error } = captured();
    const dir = prodCopy();
    expect(main(["--timings", "--env", "prod", dir])).toBe(0);
    expect(log).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledTimes(1);
    const timings = String(error.mock.calls[0]![0]).split("\n");
    expect(timings[0]).toBe("timings:");
    for (const phase of ["load", "rules", "reachability"]) expect(timings.some((line) => line.startsWith(`  ${phase} `))).toBe(true);
    expect(log.mock.invocationCallOrder[0]!).toBeLessThan(error.mock.invocationCallOrder[0]!);
  });
});
