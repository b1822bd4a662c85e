// Gateway API objects as typed models. No kubernetes-models package for the Gateway API runs on
// Node 20, so the class is ours; its fields are declared in core/validate/extra-kinds, which the
// field catalog's strict pass checks like every other kind.
import { Model } from "@kubernetes-models/base";
import type { IHTTPRoute } from "../../core/validate/extra-kinds/HTTPRoute";

export class HTTPRoute extends Model<IHTTPRoute> {
  static readonly apiVersion = "gateway.networking.k8s.io/v1";
  static readonly kind = "HTTPRoute";
  declare apiVersion: IHTTPRoute["apiVersion"];
  declare kind: IHTTPRoute["kind"];
  declare metadata: IHTTPRoute["metadata"];
  declare spec: IHTTPRoute["spec"];

  constructor(data: Omit<IHTTPRoute, "apiVersion" | "kind">) {
    super(data);
    this.apiVersion = HTTPRoute.apiVersion;
    this.kind = HTTPRoute.kind;
  }
}
