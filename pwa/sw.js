// The service worker: the app shell and vendored libraries from a versioned
// cache (so the app opens with the network off), the API network-first with
// the last answer as a fallback. Commands are never cached or replayed here:
// the outbox (js/outbox.js) owns that, since Background Sync is Chromium-only.
/* global PRECACHE */
importScripts("precache.js");

const SHELL = `floorscan-shell-${PRECACHE.version}`;
const API = "floorscan-api";
// Answers that must never come from a cache: who is signed in, and sign-in itself.
const NEVER_CACHE = new Set(["/api/v1/session", "/api/v1/me"]);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // cache: "reload" skips the HTTP cache, so a new version never stores stale files.
    await cache.addAll(PRECACHE.files.map((file) => new Request(file, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("floorscan-shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/socket.io/")) return;
  if (url.pathname.startsWith("/api/")) {
    event.respondWith(networkFirst(request, url));
  } else if (request.mode === "navigate" && url.pathname.startsWith(new URL(self.registration.scope).pathname)) {
    event.respondWith(shellPage(request));
  } else {
    event.respondWith(cacheFirst(request));
  }
});

async function networkFirst(request, url) {
  try {
    const response = await fetch(request);
    if (response.ok && !NEVER_CACHE.has(url.pathname)) {
      const copy = response.clone();
      caches.open(API).then((cache) => cache.put(request, copy)).catch(() => {});
    }
    return response;
  } catch (error) {
    const cached = NEVER_CACHE.has(url.pathname) ? null : await caches.match(request, { cacheName: API });
    if (!cached) throw error; // the app sees "offline", as without a service worker
    // Say it is an old answer: only a caller that asked for one may use it
    // (api.js), so nothing mistakes it for the edge's current state.
    const headers = new Headers(cached.headers);
    headers.set("X-Floorscan-Stale", cached.headers.get("Date") ?? "unknown");
    return new Response(cached.body, { status: cached.status, statusText: cached.statusText, headers });
  }
}

async function shellPage(request) {
  const cache = await caches.open(SHELL);
  return (await cache.match("index.html")) ?? fetch(request);
}

async function cacheFirst(request) {
  const cache = await caches.open(SHELL);
  return (await cache.match(request)) ?? fetch(request);
}
