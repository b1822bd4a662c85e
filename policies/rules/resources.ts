// Requests and limits: set on every container, request ≤ limit, and equal to the contract.
import { containerResources, isWorkloadName } from "../../core/contract/index";
import { parseBytes, parseCpu } from "../../core/quantity";
import { containersOf, workloads } from "../engine/objects";
import type { Rule, Violation } from "../engine/types";

const both = ["cpu", "memory"] as const;
const parse = { cpu: parseCpu, memory: parseBytes } as const;

function missingResourceRule(id: string, kind: "requests" | "limits", title: string, fix: string): Rule {
  return {
    id,
    theme: "resources",
    severity: "error",
    title,
    fix,
    check: ({ manifests }) =>
      workloads(manifests).flatMap((manifest) =>
        containersOf(manifest.object).flatMap(({ container, path }) =>
          both
            .filter((r) => container.resources?.[kind]?.[r] === undefined)
            .map((r): Violation => ({ manifest, path: `${path}/resources/${kind}`, message: `container ${container.name} has no ${r} ${kind === "requests" ? "request" : "limit"}` })),
        ),
      ),
  };
}

export const resourceRules: Rule[] = [
  missingResourceRule("RES001", "requests", "every container requests CPU and memory", "Set resources.requests.cpu and .memory (the contract's values for known workloads)."),
  missingResourceRule("RES002", "limits", "every container has CPU and memory limits", "Set resources.limits.cpu and .memory (the contract's values for known workloads)."),
  {
    id: "RES003",
    theme: "resources",
    severity: "error",
    title: "requests do not exceed limits",
    fix: "Lower the request or raise the limit so that request ≤ limit.",
    check: ({ manifests }) =>
      workloads(manifests).flatMap((manifest) =>
        containersOf(manifest.object).flatMap(({ container, path }) =>
          both.flatMap((r): Violation[] => {
            const request = container.resources?.requests?.[r];
            const limit = container.resources?.limits?.[r];
            if (request === undefined || limit === undefined) return [];
            return parse[r](request) > parse[r](limit) ? [{ manifest, path: `${path}/resources`, message: `container ${container.name} requests ${request} ${r} but is limited to ${limit}` }] : [];
          }),
        ),
      ),
  },
  {
    id: "RES004",
    theme: "resources",
    severity: "error",
    title: "requests and limits equal the architecture contract",
    fix: "Use the values of the workload's record (core/contract/workloads.ts), or change the record in the same pull request.",
    check: ({ manifests }) =>
      workloads(manifests).flatMap((manifest) => {
        const workload = manifest.object.metadata?.name;
        if (!isWorkloadName(workload)) return [{ manifest, message: `workload ${workload} has no record in the contract` }];
        return containersOf(manifest.object).flatMap(({ container, path }): Violation[] => {
          const expected = containerResources(workload, container.name);
          if (!expected) return [{ manifest, path, message: `container ${container.name} is not in ${workload}'s record` }];
          const same = (r: "cpu" | "memory", actual: unknown, wanted: string) => actual !== undefined && parse[r](actual as string) === parse[r](wanted);
          return (["requests", "limits"] as const).flatMap((kind) =>
            both
              .filter((r) => !same(r, container.resources?.[kind]?.[r], expected[kind][r]))
              .map((r) => ({ manifest, path: `${path}/resources/${kind}/${r}`, message: `container ${container.name} ${kind} ${r} is ${container.resources?.[kind]?.[r] ?? "unset"}, the contract says ${expected[kind][r]}` })),
          );
        });
      }),
  },
];
