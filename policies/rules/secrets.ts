// No secret value in Git: no Secret carries data, and no env or ConfigMap value looks like a
// credential.
import { containersOf, ofKind, podSpecOf, workloads } from "../engine/objects";
import type { Json, Rule } from "../engine/types";

const credentialName = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)/i;
const credentialValue = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bAKIA[0-9A-Z]{16}\b/, // AWS access key id
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/, // GitHub token
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/, // Slack token
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, // JWT
  /:\/\/[^/\s:@]+:[^/\s@]+@/, // URL with user:password
];

/**
 * Why a value looks like a credential, or undefined. Names alone (CART_SERVICE_ADDR) never match;
 * neither does a *_FILE name whose value is a file in one of `secretDirs` (where the credential
 * is, as GF_SECURITY_ADMIN_PASSWORD__FILE names it: a mounted Secret's file).
 */
function credentialReason(key: string, value: unknown, secretDirs: readonly string[] = []): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const pattern = credentialValue.find((p) => p.test(value));
  if (pattern) return `value matches ${pattern}`;
  if (/_FILE$/i.test(key) && secretDirs.some((dir) => value.startsWith(`${dir.replace(/\/$/, "")}/`) && !value.includes("/../"))) return undefined;
  if (credentialName.test(key)) return `${key} holds a literal value`;
  return undefined;
}

/** Where a container mounts Secret volumes (a Secret, or a projection with Secret sources only). */
function secretMountPaths(pod: Json, container: Json): string[] {
  const volumes = new Map(((pod.volumes ?? []) as Json[]).map((volume) => [volume.name, volume]));
  const fromSecret = (volume: Json | undefined) => volume?.secret !== undefined || ((volume?.projected?.sources ?? []).length > 0 && (volume!.projected.sources as Json[]).every((source) => source.secret !== undefined));
  return ((container.volumeMounts ?? []) as Json[]).filter((mount) => fromSecret(volumes.get(mount.name)) && mount.subPath === undefined && typeof mount.mountPath === "string").map((mount) => mount.mountPath as string);
}

export const secretRules: Rule[] = [
  {
    id: "SCR001",
    theme: "secrets",
    severity: "error",
    title: "no Secret with data in rendered output",
    fix: "Never render Secret values: reference the Secret by name and create it in the cluster (or sync it from a secret store).",
    check: ({ manifests }) =>
      ofKind(manifests, "Secret")
        .filter((m) => Object.keys(m.object.data ?? {}).length > 0 || Object.keys(m.object.stringData ?? {}).length > 0)
        .map((manifest) => ({ manifest, path: manifest.object.data ? "/data" : "/stringData", message: "Secret carries values in Git" })),
  },
  {
    id: "SCR002",
    theme: "secrets",
    severity: "error",
    title: "no credential in container environment values (a *_FILE variable may name a file of a mounted Secret)",
    fix: "Move the value into a Secret and use env[].valueFrom.secretKeyRef.",
    check: ({ manifests }) =>
      workloads(manifests).flatMap((manifest) =>
        containersOf(manifest.object).flatMap(({ container, path }) =>
          ((container.env ?? []) as Json[]).flatMap((entry, index) => {
            const reason = credentialReason(entry.name, entry.value, secretMountPaths(podSpecOf(manifest.object) ?? {}, container));
            return reason ? [{ manifest, path: `${path}/env/${index}/value`, message: `container ${container.name}: ${reason}` }] : [];
          }),
        ),
      ),
  },
  {
    id: "SCR003",
    theme: "secrets",
    severity: "error",
    title: "no credential in ConfigMap values",
    fix: "Move the value into a Secret; ConfigMaps are readable by anyone who can read the namespace.",
    check: ({ manifests }) =>
      ofKind(manifests, "ConfigMap").flatMap((manifest) =>
        Object.entries(manifest.object.data ?? {}).flatMap(([key, value]) => {
          const reason = credentialReason(key, value);
          return reason ? [{ manifest, path: `/data/${key}`, message: reason }] : [];
        }),
      ),
  },
];
