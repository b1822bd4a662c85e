import type { IHTTPBackendRef } from "./HTTPBackendRef";
import type { IHTTPRouteMatch } from "./HTTPRouteMatch";

export interface IHTTPRouteRule {
  name?: string;
  matches?: IHTTPRouteMatch[];
  backendRefs?: IHTTPBackendRef[];
}
