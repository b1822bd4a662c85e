// Stand-in for the "k6/http" module: get, post, request and expectedStatuses, synchronous like
// k6's. Like k6 it sends the VU's cookies and stores the ones it is given, follows up to 10
// redirects (a POST answered 301, 302 or 303 goes on as a GET without its body), sends an object
// body as an application/x-www-form-urlencoded form, answers a network error with status 0 instead
// of throwing, and tags each exchange with the request's tags and its `name` (the URL unless set).
import type { WireRequest } from "./report";
import { cookieHeader, exchange, storeCookies, vu } from "./vu-state";

type Body = string | Record<string, string | number | boolean> | null | undefined;

interface Params {
  headers?: Record<string, string>;
  tags?: Record<string, string>;
  redirects?: number;
  timeout?: string | number;
  responseCallback?: ExpectedStatuses | null;
}

interface Response {
  status: number;
  status_text: string;
  body: string | null;
  headers: Record<string, string>;
  url: string;
  error: string;
  error_code: number;
  request: { method: string; url: string; headers: Record<string, string>; body: string };
}

/** What http.expectedStatuses returns: which statuses count as expected (not failed). */
class ExpectedStatuses {
  constructor(private readonly ranges: ReadonlyArray<readonly [number, number]>) {}
  matches(status: number): boolean {
    return this.ranges.some(([min, max]) => min <= status && status <= max);
  }
}

const defaultExpected = new ExpectedStatuses([[200, 399]]);
const maxRedirects = 10;
const redirectStatuses = new Set([301, 302, 303, 307, 308]);

export function expectedStatuses(...statuses: Array<number | { min: number; max: number }>): ExpectedStatuses {
  if (statuses.length === 0) throw new Error("no arguments");
  return new ExpectedStatuses(
    statuses.map((status, index) => {
      if (Number.isInteger(status)) return [status as number, status as number] as const;
      const range = status as { min: unknown; max: unknown };
      if (!Number.isInteger(range.min) || !Number.isInteger(range.max)) throw new Error(`argument number ${index + 1} to expectedStatuses was neither an integer nor an object like {min:100, max:329}`);
      return [range.min as number, range.max as number] as const;
    }),
  );
}

/** Go's url.Values.Encode, which k6 uses for an object body: keys sorted, spaces as "+". */
function formEncode(fields: Record<string, string | number | boolean>): string {
  const escape = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, "+");
  return Object.keys(fields)
    .sort()
    .map((key) => `${escape(key)}=${escape(String(fields[key]))}`)
    .join("&");
}

/** k6 timeouts: milliseconds as a number, or a duration string such as "2s". */
function timeoutMs(timeout: string | number | undefined): number {
  if (timeout === undefined) return 60_000;
  if (typeof timeout === "number") return timeout;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const [, amount, unit] of timeout.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(amount) * units[unit!]!;
  return total;
}

export function request(method: string, url: string, body?: Body, params: Params = {}): Response {
  const headers: Record<string, string> = { ...params.headers };
  let payload: string | undefined;
  if (typeof body === "string") payload = body;
  else if (body !== null && body !== undefined) {
    payload = formEncode(body);
    headers["Content-Type"] ??= "application/x-www-form-urlencoded";
  }
  const callback = params.responseCallback === undefined ? defaultExpected : params.responseCallback;
  const limit = params.redirects ?? maxRedirects;
  const timeout = timeoutMs(params.timeout);
  let current = { method: method.toUpperCase(), url: new URL(url), payload, headers };
  for (let hop = 0; ; hop++) {
    const wire: WireRequest = { method: current.method, url: current.url.href, headers: { ...current.headers }, timeoutMs: timeout };
    const cookies = cookieHeader(current.url);
    if (cookies !== undefined) wire.headers.Cookie = cookies;
    if (current.payload !== undefined) wire.body = current.payload;
    const answer = exchange(wire);
    storeCookies(current.url, answer.headers["set-cookie"]);
    vu.report.requests.push({
      phase: vu.phase,
      iteration: vu.iteration,
      group: vu.groups.map((name) => `::${name}`).join(""),
      method: current.method,
      url: current.url.href,
      status: answer.status,
      ...(answer.error === undefined ? {} : { error: answer.error }),
      tags: { ...params.tags, name: params.tags?.name ?? current.url.href },
      // With responseCallback null k6 emits no http_req_failed at all: nothing counts as failed.
      expected: callback === null || callback.matches(answer.status),
      hop,
    });
    const location = answer.headers.location;
    if (redirectStatuses.has(answer.status) && typeof location === "string" && hop < limit) {
      const keepsMethod = answer.status === 307 || answer.status === 308 || current.method === "GET" || current.method === "HEAD";
      const next = { method: keepsMethod ? current.method : "GET", url: new URL(location, current.url), payload: keepsMethod ? current.payload : undefined, headers: { ...current.headers } };
      if (!keepsMethod) delete next.headers["Content-Type"];
      current = next;
      continue;
    }
    const responseHeaders = Object.fromEntries(Object.entries(answer.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : value]));
    return {
      status: answer.status,
      status_text: answer.status === 0 ? "" : String(answer.status),
      body: answer.status === 0 ? null : answer.body,
      headers: responseHeaders,
      url: current.url.href,
      error: answer.error ?? "",
      error_code: answer.error === undefined ? 0 : 1000,
      request: { method: current.method, url: current.url.href, headers: wire.headers, body: current.payload ?? "" },
    };
  }
}

export function get(url: string, params?: Params): Response {
  return request("GET", url, null, params);
}

export function post(url: string, body?: Body, params?: Params): Response {
  return request("POST", url, body, params);
}

export default { request, get, post, expectedStatuses };
