import type { IHTTPRouteRule } from "./HTTPRouteRule";
import type { IParentReference } from "./ParentReference";

export interface IHTTPRouteSpec {
  /** The Gateway (and listener, by sectionName) the route attaches to. */
  parentRefs?: IParentReference[];
  hostnames?: string[];
  rules?: IHTTPRouteRule[];
}
