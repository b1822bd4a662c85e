// Every rule, by theme. Each has a passing and a failing case in test/policy-rules.test.ts.
import type { Rule } from "../engine/types";
import { argocdRules } from "./argocd";
import { availabilityRules } from "./availability";
import { dataRules } from "./data";
import { environmentRules } from "./environment";
import { imageRules } from "./images";
import { jobRules } from "./jobs";
import { labelRules } from "./labels";
import { networkRules } from "./network";
import { probeRules } from "./probes";
import { rbacRules } from "./rbac";
import { referentialRules } from "./referential";
import { resourceRules } from "./resources";
import { schemaRules } from "./schema";
import { secretRules } from "./secrets";
import { securityRules } from "./security";
import { storageRules } from "./storage";

export const rules: readonly Rule[] = [
  ...environmentRules,
  ...schemaRules,
  ...resourceRules,
  ...probeRules,
  ...securityRules,
  ...imageRules,
  ...availabilityRules,
  ...jobRules,
  ...storageRules,
  ...dataRules,
  ...referentialRules,
  ...argocdRules,
  ...secretRules,
  ...rbacRules,
  ...networkRules,
  ...labelRules,
];
