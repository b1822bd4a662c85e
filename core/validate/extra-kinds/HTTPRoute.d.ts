// Gateway API v1 HTTPRoute (gateway.networking.k8s.io/v1, standard channel), as far as this
// repository renders it: no kubernetes-models package for it runs on Node 20 (the maintained one
// needs Node 22), so its fields are declared here, one type per file as kubernetes-models does,
// from the Gateway API reference, for the field catalog's strict pass. A field not declared here is
// refused until it is added.
import type { IObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import type { IHTTPRouteSpec } from "./HTTPRouteSpec";

export interface IHTTPRoute {
  apiVersion: "gateway.networking.k8s.io/v1";
  kind: "HTTPRoute";
  metadata?: IObjectMeta;
  spec?: IHTTPRouteSpec;
}
