// kubernetes-models classes by "apiVersion/kind", so plain objects read from YAML (policy runs)
// get the same schema validation as the typed objects the apps build. Kinds not listed here
// still get the strict pass; add a kind when the repository starts rendering it.
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import { ApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { validateModel, type Problem } from "./index";
import { strictProblems } from "./strict";

type ModelClass = new (data: never) => { validate(): void; toJSON(): unknown };

const modelClasses: ModelClass[] = [
  Application, ApplicationSet, AppProject, DaemonSet, Deployment, StatefulSet, HorizontalPodAutoscaler, CronJob, Job, Ingress, NetworkPolicy,
  PodDisruptionBudget, ClusterRole, ClusterRoleBinding, Role, RoleBinding, ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount,
];

const byKind = new Map(modelClasses.map((model) => {
  const { apiVersion, kind } = model as unknown as { apiVersion: string; kind: string };
  return [`${apiVersion}/${kind}`, model];
}));

/** Schema + strict problems of a plain object, e.g. one read from a rendered file. */
export function validateObject(object: Record<string, unknown>): Problem[] {
  const model = byKind.get(`${String(object.apiVersion)}/${String(object.kind)}`);
  if (model === undefined) return strictProblems(object);
  // The model's schema check runs on the object as read. An instance would be a deep copy
  // (kubernetes-models' constructor drops undefined values, which a read object never holds).
  const validate = model.prototype.validate;
  return validateModel({ validate: () => validate.call(object) }, object);
}
