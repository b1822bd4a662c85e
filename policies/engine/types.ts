// The vocabulary of the policy engine: manifests read from disk, rules, findings.
import type { Settings } from "../../core/settings/schema";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export interface Manifest {
  /** File the object was read from, as given on the command line (forward slashes). */
  file: string;
  /** Which YAML document of the file holds it, when not the first (0). */
  document?: number;
  object: Json;
}

export type Severity = "error" | "warning";

export type Theme = "resources" | "probes" | "security" | "images" | "availability" | "storage" | "referential" | "secrets" | "rbac" | "schema" | "network" | "labels" | "data" | "jobs";

export interface Finding {
  rule: string;
  severity: Severity;
  file: string;
  /** "Kind namespace/name" of the object, or a directory for whole-tree findings. */
  object: string;
  /** JSON pointer inside the object, when the finding is about one field. */
  path?: string;
  /** The object's YAML document in its file, when not the first (0). */
  document?: number;
  message: string;
  fix: string;
  /** Set when the object carries an exemption for this rule; exempted findings do not fail the run. */
  exemption?: string;
}

/** What a rule reports: the engine adds rule id, severity and fix. */
export interface Violation {
  manifest: Manifest | { file: string; object?: undefined };
  path?: string;
  message: string;
  /** False when no exemption may cover it (host access beyond what the workload's record grants). */
  exemptable?: false;
}

export interface PolicyContext {
  environment: string;
  /** Root of the rendered tree being checked (rendered/<env> or a copy of it). */
  root: string;
  manifests: Manifest[];
  /** The environment's settings, when environments/<env>/settings.yaml exists. */
  settings: Settings | undefined;
  /** Files that could not be read as Kubernetes objects (reported by the schema rules). */
  loadProblems: Violation[];
}

export interface Rule {
  id: string;
  theme: Theme;
  severity: Severity;
  title: string;
  fix: string;
  check(context: PolicyContext): Violation[];
}
