import type { IHTTPPathMatch } from "./HTTPPathMatch";

export interface IHTTPRouteMatch {
  path?: IHTTPPathMatch;
}
