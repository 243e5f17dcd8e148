// REST to the edge with the bearer token from POST /api/v1/session (the same
// session API as the handheld app; see pwa/js/api.js). The token lives in
// sessionStorage: closing the tab on a shared office PC signs the supervisor out.
const KEY = "floorscan.dashboard.token";

export class ApiError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.problem = problem;
    this.status = problem.status;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  set token(value) { value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY); },
  onSignedOut: () => {},
};

async function problemOf(response) {
  const body = await response.json().catch(() => null);
  return body && typeof body === "object" && body.status ? body
    : { status: response.status, title: response.statusText, detail: `HTTP ${response.status}` };
}

/** fetch with the token; answers the Response, throws ApiError for problems. */
export async function request(method, path, body, { timeoutMs = 15000 } = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, cache: "no-store", signal: AbortSignal.timeout(timeoutMs),
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.ok) return response;
  const problem = await problemOf(response);
  if (response.status === 401 && path !== "/api/v1/session") session.onSignedOut(problem);
  throw new ApiError(problem);
}

export async function getJSON(path, query) {
  const qs = query ? `?${new URLSearchParams(Object.entries(query).filter(([, v]) => v != null && v !== ""))}` : "";
  return (await request("GET", path + qs)).json();
}

export async function signIn(pin) {
  const answer = await (await request("POST", "/api/v1/session", { pin, device_id: "dashboard" })).json();
  if (!["supervisor", "admin"].includes(answer.user.role)) {
    session.token = answer.token;
    await request("DELETE", "/api/v1/session").catch(() => {});
    session.token = null;
    throw new ApiError({ status: 403, detail: "The dashboard is for supervisors and admins." });
  }
  session.token = answer.token;
  return answer.user;
}

export async function signOut() {
  try { await request("DELETE", "/api/v1/session"); } finally { session.token = null; }
}

/** Download an authenticated file (CSV, ZPL, PDF) under `name`. */
export async function download(path, name) {
  const blob = await (await request("GET", path)).blob();
  const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
