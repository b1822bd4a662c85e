// The data tier's safety settings, as the contract states them: the Sentinel quorum and master
// name every sentinel is configured with, and the PostgreSQL server settings a replica's slot
// and standby rely on. A hand edit to them changes failover or durability silently.
import { postgresServerSettings, redisSentinel } from "../../core/contract/index";
import { containersOf, ofKind } from "../engine/objects";
import type { Json, Rule, Violation } from "../engine/types";

function envValue(container: Json, name: string): unknown {
  return ((container.env ?? []) as Json[]).find((entry) => entry.name === name)?.value;
}

export const dataRules: Rule[] = [
  {
    id: "DAT001",
    theme: "data",
    severity: "error",
    title: "every sentinel is configured with the contract's quorum and master name",
    fix: "Set QUORUM and MASTER_NAME of the sentinels' config-init to the contract's (core/contract: redisSentinel), or change the contract.",
    check: ({ manifests }) =>
      ofKind(manifests, "StatefulSet")
        .filter((m) => m.object.metadata?.name === "redis-sentinel")
        .flatMap((manifest) =>
          containersOf(manifest.object)
            .filter(({ container }) => container.name === "config-init")
            .flatMap(({ container, path }): Violation[] => {
              const expected = { QUORUM: String(redisSentinel.quorum), MASTER_NAME: redisSentinel.masterName };
              return Object.entries(expected)
                .filter(([name, value]) => String(envValue(container, name)) !== value)
                .map(([name, value]) => ({ manifest, path: `${path}/env`, message: `${name} is ${String(envValue(container, name) ?? "unset")}, the contract says ${value}` }));
            }),
        ),
  },
  {
    id: "DAT002",
    theme: "data",
    severity: "error",
    title: "PostgreSQL runs with the contract's server settings",
    fix: "Pass -c name=value for each of the contract's postgresServerSettings (max_slot_wal_keep_size, hot_standby_feedback) to the postgres container.",
    check: ({ manifests }) =>
      ofKind(manifests, "StatefulSet")
        .filter((m) => m.object.metadata?.name === "postgres")
        .flatMap((manifest) =>
          containersOf(manifest.object)
            .filter(({ container, init }) => container.name === "postgres" && !init)
            .flatMap(({ container, path }): Violation[] => {
              const args = (container.args ?? []) as string[];
              const given = new Map(args.flatMap((arg, i) => (args[i - 1] === "-c" ? [arg.split("=") as [string, string]] : [])));
              return Object.entries(postgresServerSettings)
                .filter(([name, value]) => given.get(name) !== value)
                .map(([name, value]) => ({ manifest, path: `${path}/args`, message: `${name} is ${given.get(name) ?? "unset"}, the contract says ${value}` }));
            }),
        ),
  },
];
