// The app shell: start-up, the router between screens, the status bar that
// always shows connection state and what is waiting to be sent, and the one
// wedge listener that hands each scan to the screen on show.
import { Api, Offline, describe } from "./api.js";
import { LocalCatalog, download } from "./catalog.js";
import { openStore } from "./db.js";
import { configure as configureFeedback, signal, unlockAudio } from "./feedback.js";
import { connectLive } from "./live.js";
import { MemoryStore, Outbox, SignedOut } from "./outbox.js";
import { interpret } from "./scan.js";
import * as session from "./session.js";
import { fill, h, toast } from "./ui.js";
import { attachWedge } from "./wedge.js";

import * as attention from "./screens/attention.js";
import * as count from "./screens/count.js";
import * as exceptions from "./screens/exceptions.js";
import * as floor from "./screens/floor.js";
import * as home from "./screens/home.js";
import * as lookup from "./screens/lookup.js";
import * as move from "./screens/move.js";
import * as pick from "./screens/pick.js";
import * as putaway from "./screens/putaway.js";
import * as receive from "./screens/receive.js";
import * as returns from "./screens/returns.js";
import * as settings from "./screens/settings.js";
import * as signin from "./screens/signin.js";

const SCREENS = { signin, home, lookup, move, attention, pick, receive, putaway, count, returns, exceptions, floor,
  settings };
// How often the idle sign-out is checked; tests call checkIdle() instead of waiting.
const IDLE_CHECK_MS = 30000;

class App {
  constructor() {
    this.api = new Api();
    this.settings = session.settings();
    this.catalog = new LocalCatalog();
    this.user = null;
    this.screen = null;
    this.scans = []; // every scan this page saw, in order (tests and support read it)
    this.attentionCount = 0;
    this.pendingCount = 0;
  }

  async start() {
    this.registerServiceWorker();
    try {
      this.store = await openStore();
    } catch (error) {
      // Private browsing or a broken profile: keep working, but say so.
      console.error("IndexedDB unavailable", error);
      this.store = new MemoryStore();
      toast("Storage unavailable: unsent work is lost if this page closes", "error");
    }
    this.outbox = new Outbox({ store: this.store, send: (commands) => this.api.sendCommands(commands),
      online: () => navigator.onLine });
    this.outbox.subscribe((event) => this.onOutboxEvent(event));
    this.api.onSignedOut = () => this.expired();
    const cached = await this.store.cacheGet?.("catalog");
    if (cached) this.catalog = new LocalCatalog(cached);

    this.applySettings(this.settings, { save: false });
    document.addEventListener("pointerdown", unlockAudio, { capture: true });
    document.addEventListener("keydown", unlockAudio, { capture: true, once: true });
    for (const name of ["online", "offline"]) window.addEventListener(name, () => this.renderStatus());
    window.addEventListener("hashchange", () => this.route());
    // Follow in-app links at once: a hashchange arrives a task later, and a
    // scan in between would land on the screen the user just left.
    document.addEventListener("click", (event) => {
      const link = event.target.closest?.("a[href^='#']");
      if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
      event.preventDefault();
      this.go(link.getAttribute("href").slice(1));
    });
    this.watchIdle();

    const saved = session.load();
    if (saved) this.signedIn(saved, { fresh: false });
    this.outbox.start();
    this.route();
    this.renderStatus();
    document.body.dataset.ready = "true";
  }

  registerServiceWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register("sw.js", { scope: "./" }).catch((error) => {
      console.error("service worker registration failed", error);
    });
  }

  // -- session -------------------------------------------------------------

  signedIn(saved, { fresh = true } = {}) {
    this.user = saved.user;
    this.api.token = saved.token;
    this.outbox.userId = saved.user.id;
    if (fresh) session.save(saved);
    this.live?.close();
    this.live = connectLive(saved.token, (event, payload) => this.onLive(event, payload));
    this.refreshCatalog();
    this.outbox.flush().catch(() => {});
  }

  async refreshCatalog({ force = false } = {}) {
    if (!force && !this.catalog.stale()) return;
    try {
      const fresh = await download(this.api);
      this.catalog = fresh;
      await this.store.cachePut?.("catalog", fresh.toJSON());
    } catch (error) {
      if (!(error instanceof Offline)) console.error("catalog refresh failed", error);
    }
  }

  async signOut({ reason = "" } = {}) {
    const waiting = await this.outbox.count();
    if (waiting && reason === "") {
      await this.outbox.flush();
      const still = await this.outbox.count();
      if (still && !confirm(`${still} action(s) not sent yet. They go out when ${this.user.name} signs in again. Sign out?`)) {
        return;
      }
    }
    if (navigator.onLine) this.api.signOut().catch(() => {});
    this.live?.close();
    this.live = null;
    session.clear();
    this.user = null;
    this.api.token = null;
    this.outbox.userId = null;
    // The service worker's copies of API answers belong to this user's session.
    await globalThis.caches?.delete("floorscan-api").catch(() => {});
    if (reason) toast(reason);
    this.go("signin");
  }

  expired() {
    if (this.user) this.signOut({ reason: "Your session ended: sign in again" });
  }

  /** Use these device settings now (the wedge listener, feedback) and keep them. */
  applySettings(next, { save = true } = {}) {
    this.settings = next;
    if (save) session.replaceSettings(next);
    this.detachWedge?.();
    this.detachWedge = attachWedge(document, (scan) => this.onScan(scan),
      { ...next.wedge, gsSubstitute: next.gsSubstitute });
    configureFeedback({ sound: next.sound !== false, vibration: next.vibration !== false });
  }

  watchIdle() {
    this.lastActivity = Date.now();
    const touch = () => { this.lastActivity = Date.now(); };
    for (const name of ["pointerdown", "keydown"]) document.addEventListener(name, touch, { capture: true, passive: true });
    setInterval(() => this.checkIdle(), IDLE_CHECK_MS);
  }

  /** Sign out if nobody touched the device for the configured minutes; `now` is injectable for tests. */
  checkIdle(now = Date.now()) {
    const limit = this.settings.idleMinutes * 60000;
    if (this.user && limit > 0 && now - this.lastActivity > limit) {
      this.signOut({ reason: "Signed out after being idle" });
      return true;
    }
    return false;
  }

  // -- routing -------------------------------------------------------------

  /** Show a screen now (synchronously), with a history entry for the back button. */
  go(name) {
    if (location.hash !== `#${name}`) history.pushState(null, "", `#${name}`);
    this.route();
  }

  route() {
    const name = location.hash.slice(1) || "home";
    // A screen the role has no tile for (a typed #exceptions on a picker's device) is home.
    const allowed = this.user && new Set(["home", ...home.workflowsFor(this.user.role).map((w) => w.screen)]);
    const wanted = SCREENS[name] && allowed?.has(name) ? name : "home";
    const target = this.user ? wanted : "signin";
    this.screen?.unmount?.();
    const root = fill(document.getElementById("screen"));
    root.dataset.screen = target;
    document.body.dataset.screen = target;
    this.screen = SCREENS[target].mount(this, root) ?? {};
    this.renderStatus();
    document.getElementById("back").hidden = target === "home" || target === "signin";
    root.querySelector("[autofocus]")?.focus();
  }

  // -- scans ---------------------------------------------------------------

  onScan(scan) {
    this.scans.push({ ...scan, at: performance.now() });
    this.screen?.onScan?.(scan);
  }

  /** What the device alone can say about a scan (no network). */
  interpret(code, symbology = null) {
    return interpret(code, symbology, { catalog: this.catalog, gsSubstitute: this.settings.gsSubstitute || null });
  }

  /** The edge's answer when it is there (and remember it), else the device's own. */
  async lookup(code) {
    try {
      const answer = await this.api.scan(code);
      this.catalog.learn(answer);
      return { ...answer, source: "edge" };
    } catch (error) {
      if (!(error instanceof Offline)) throw error;
      return { ...this.interpret(code), source: "device" };
    }
  }

  signal(kind, message) {
    return signal(kind, message);
  }

  // -- status bar ----------------------------------------------------------

  async onOutboxEvent(event) {
    if (event.type === "result") {
      const { command, result } = event;
      if (result.status === "rejected") {
        signal("error", "Needs attention");
        toast(`${command.type} refused: ${result.problem?.detail ?? result.problem?.title}`, "error");
      }
    }
    if (this.outbox.lastError instanceof SignedOut) this.expired();
    this.screen?.onOutbox?.(event);
    await this.renderStatus();
  }

  onLive(event, payload) {
    if (event === "connect" || event === "disconnect") {
      this.liveUp = event === "connect";
      this.renderStatus();
      if (this.liveUp) this.outbox.flush().catch(() => {});
      return;
    }
    if (event === "task.assigned") toast("New task assigned to you", "info");
    if (event === "list.changed") toast("Your pick list changed", "info");
    if (event === "count.requested" && !(payload?.tasks ?? []).every((t) => t.excluded_user === this.user?.id)) {
      toast("A count was requested", "info");
    }
    if (event === "putaway.tasks" && !["supervisor", "admin"].includes(this.user?.role)) toast("New putaway tasks", "info");
    this.screen?.onLive?.(event, payload);
  }

  async renderStatus() {
    // Calls overlap (a result, the network coming back, a live event): only the one
    // started last may write, or an earlier, slower read puts old counts back.
    const call = (this.statusCalls = (this.statusCalls ?? 0) + 1);
    let pending = this.user ? this.pendingCount ?? 0 : 0;
    let attentionList = null;
    try {
      pending = this.user ? await this.outbox.count() : 0;
      attentionList = await this.outbox.attention();
    } catch (error) {
      // The device's storage failed a read: the bar still shows the connection
      // as it is now, with the last counts it knew, rather than nothing at all.
      console.error("status bar: could not read the outbox", error);
    }
    if (call !== this.statusCalls) return;
    const mine = !this.user ? 0
      : attentionList === null ? this.attentionCount ?? 0
      : attentionList.filter((c) => c.user_id === this.user.id).length;
    this.pendingCount = pending;
    this.attentionCount = mine;
    const conn = !navigator.onLine ? "offline" : this.outbox.reachable === false ? "unreachable" : "online";
    const words = { online: "Online", offline: "Offline", unreachable: "No edge" };
    const state = document.getElementById("conn");
    state.dataset.state = conn;
    state.textContent = words[conn];
    const box = document.getElementById("pending");
    box.textContent = pending ? `${pending} to send` : "All sent";
    box.dataset.count = String(pending);
    const attn = document.getElementById("attention-link");
    attn.hidden = mine === 0;
    attn.textContent = `${mine} need${mine === 1 ? "s" : ""} attention`;
    const who = document.getElementById("who");
    who.hidden = !this.user;
    fill(who, this.user ? h("span", { class: "who-name" }, this.user.name) : "");
    document.getElementById("signout").hidden = !this.user;
    this.screen?.onStatus?.({ pending, attention: mine, conn });
  }
}

export const app = new App();
window.floorscan = app; // for support staff in devtools, and the browser tests

document.getElementById("back").addEventListener("click", () => app.go("home"));
document.getElementById("signout").addEventListener("click", () => app.signOut());
document.getElementById("attention-link").addEventListener("click", () => app.go("attention"));
app.start().catch((error) => {
  console.error(error);
  toast(`Could not start: ${describe(error)}`, "error");
});
