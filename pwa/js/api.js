// HTTP to the edge: JSON under /api/v1 with the bearer token. Errors come back
// as RFC 9457 problem details; ApiError carries one, Offline means the edge
// could not be reached at all (no answer, as opposed to an answer saying no).
import { Offline, SignedOut } from "./outbox.js";

export { Offline, SignedOut };

export class ApiError extends Error {
  /** The edge answered with an error; `problem` is its problem+json body. */
  constructor(problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.name = "ApiError";
    this.problem = problem;
    this.status = problem.status;
  }
}

export class Api {
  constructor({ base = "/api/v1", timeoutMs = 10000, fetch = globalThis.fetch.bind(globalThis) } = {}) {
    Object.assign(this, { base, timeoutMs, fetchImpl: fetch });
    this.token = null;
    this.onSignedOut = () => {};
  }

  /**
   * One request. `stale: true` accepts the service worker's last cached
   * answer when the edge cannot be reached (it gets `stale_since` set);
   * otherwise that counts as Offline.
   */
  async request(method, path, body, { stale = false, headers: extra = {} } = {}) {
    const headers = { Accept: "application/json, application/problem+json", ...extra };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await this.fetchImpl(this.base + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store", signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new Offline(error.name === "TimeoutError" ? "the edge did not answer in time" : "the edge cannot be reached");
    }
    const staleSince = response.headers.get("X-Floorscan-Stale");
    if (staleSince && !stale) throw new Offline();
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (response.ok) {
      if (staleSince && data && typeof data === "object") data.stale_since = staleSince;
      return data;
    }
    const problem = data && typeof data === "object" ? data
      : { title: response.statusText || "Error", status: response.status, detail: `HTTP ${response.status}` };
    if (response.status === 401 && this.token && path !== "/session") {
      this.onSignedOut(problem);
      throw new SignedOut(problem.detail || "sign in again");
    }
    // A proxy or captive portal answering for the edge is as good as no edge.
    if ([502, 503, 504].includes(response.status) && !problem.type) throw new Offline(problem.detail);
    throw new ApiError({ status: response.status, ...problem });
  }

  get(path, query, options) {
    const qs = query ? `?${new URLSearchParams(Object.entries(query).filter(([, v]) => v != null))}` : "";
    return this.request("GET", path + qs, undefined, options);
  }

  post(path, body, options) { return this.request("POST", path, body ?? {}, options); }

  signIn({ pin, badge, deviceId }) {
    return this.post("/session", { ...(pin ? { pin } : { badge }), device_id: deviceId });
  }

  signOut() { return this.request("DELETE", "/session"); }

  scan(code, symbology = null) { return this.post("/scan", { code, ...(symbology ? { symbology } : {}) }); }

  stock(filters, options) { return this.get("/stock", filters, options); }

  /** The outbox's `send`: one result per command, in order. */
  async sendCommands(commands) {
    const answer = await this.post("/commands", { commands });
    return answer.results;
  }
}

/** A short sentence for a person from any error this module throws. */
export function describe(error) {
  if (error instanceof ApiError) return error.problem.detail || error.problem.title;
  if (error instanceof Offline) return "Offline: the edge cannot be reached";
  if (error instanceof SignedOut) return "Signed out: sign in again";
  return error?.message || String(error);
}
