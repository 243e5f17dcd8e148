// The supervisor dashboard: sign in, then KPI tiles, trend charts, cut-offs,
// reports and labels. Figures come from REST; Socket.IO only says "refresh".
import { ApiError, getJSON, session, signIn, signOut } from "./api.js";
import { renderCharts } from "./charts.js";
import { renderKpis } from "./kpis.js";
import { initLabels } from "./labels.js";
import { connectLive } from "./live.js";
import { initReports } from "./reports.js";

const $ = (id) => document.getElementById(id);
let live = null;
let loading = null;
let panelsReady = false;

async function refresh() {
  if (loading) return loading;  // one request at a time; the next event schedules another
  loading = getJSON("/api/v1/dashboard/kpis").then((k) => {
    renderKpis(k);
    renderCharts(k.trends);
    document.body.dataset.kpisAt = k.at;
  }).catch((error) => {
    if (!(error instanceof ApiError && error.status === 401)) console.warn("kpis", error);
  }).finally(() => { loading = null; });
  return loading;
}

function showSignIn(message = "") {
  live?.close();
  live = null;
  $("board").hidden = $("signout").hidden = $("who").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  $("live").dataset.state = "off";
  $("live").textContent = "Not live";
  $("pin").focus();
}

async function showBoard(user) {
  $("signin").hidden = true;
  $("board").hidden = $("signout").hidden = $("who").hidden = false;
  $("who").textContent = `${user.name} (${user.role})`;
  await refresh();
  live = await connectLive(session.token, {
    onChange: refresh,
    onState: (on) => { $("live").dataset.state = on ? "on" : "off"; $("live").textContent = on ? "Live" : "Reconnecting…"; },
  });
  if (!panelsReady) {  // once per page: signing out and in again keeps the listeners
    panelsReady = true;
    initReports();
    initLabels();
  }
}

session.onSignedOut = () => showSignIn("Your session ended; sign in again.");

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const user = await signIn($("pin").value);
    $("pin").value = "";
    await showBoard(user);
  } catch (error) {
    $("signin-error").textContent = error instanceof ApiError ? error.message : "the edge cannot be reached";
  }
});

$("signout").addEventListener("click", async () => {
  await signOut().catch(() => {});
  showSignIn();
});

(async function boot() {
  if (session.token) {
    try {
      const me = await getJSON("/api/v1/me");
      if (["supervisor", "admin"].includes(me.role)) await showBoard(me);
      else showSignIn();
    } catch {
      showSignIn();
    }
  } else {
    showSignIn();
  }
  document.body.dataset.ready = "true";
})();
