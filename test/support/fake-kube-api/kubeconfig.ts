// Kubeconfig files for the fake Kubernetes API, written to a test's temporary folder.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { fakeToken } from "./server";

export interface KubeconfigCluster {
  context: string;
  server: string;
  /** PEM of the certificate authority to trust (https servers). */
  ca?: string;
  token?: string;
}

/** A kubeconfig with one context (and cluster and user) per entry; the first is current unless `current` says otherwise. */
export function writeKubeconfig(dir: string, clusters: KubeconfigCluster[], current: string | null = clusters[0]?.context ?? null, file = "config"): string {
  const path = join(dir, file);
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: clusters.map((c) => ({
      name: `${c.context}-cluster`,
      // @kubernetes/client-node talks plain http only with insecure-skip-tls-verify.
      cluster: { server: c.server, ...(c.ca !== undefined ? { "certificate-authority-data": Buffer.from(c.ca).toString("base64") } : c.server.startsWith("http:") ? { "insecure-skip-tls-verify": true } : {}) },
    })),
    users: clusters.map((c) => ({ name: `${c.context}-user`, user: { token: c.token ?? fakeToken } })),
    contexts: clusters.map((c) => ({ name: c.context, context: { cluster: `${c.context}-cluster`, user: `${c.context}-user` } })),
    ...(current !== null ? { "current-context": current } : {}),
  };
  writeFileSync(path, stringify(config));
  return path;
}
