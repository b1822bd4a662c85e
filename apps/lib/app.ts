// What an application module is: a function from an environment's settings to typed
// Kubernetes objects, plus where its output goes (its group = one Argo CD Application).
import type { Model } from "@kubernetes-models/base";
import type { IObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import type { Settings } from "../../generator/settings/schema";

export interface RenderContext {
  environment: string;
  settings: Settings;
}

/** Any kubernetes-models object: it can validate() itself and serialise with toJSON(). */
export type KubeObject = Model<unknown> & { apiVersion: string; kind: string; metadata?: IObjectMeta };

/**
 * App groups in sync order. Each group becomes one Argo CD Application; its wave orders the
 * groups: namespaces first, data before the services that use it, traffic last.
 */
export const appGroups = {
  platform: { wave: 0, description: "Namespaces with Pod Security admission labels; default-deny NetworkPolicies and the allowed flows" },
  data: { wave: 1, description: "Carts (Redis) and orders (PostgreSQL, order persistence)" },
  "online-boutique": { wave: 2, description: "The ten Online Boutique services" },
} as const;
export type AppGroup = keyof typeof appGroups;

export interface App {
  /** Folder name under rendered/<env>/<group>/ and app.kubernetes.io/name default. */
  name: string;
  group: AppGroup;
  /** app.kubernetes.io/component of everything the app renders. */
  component: string;
  render(context: RenderContext): KubeObject[];
}
