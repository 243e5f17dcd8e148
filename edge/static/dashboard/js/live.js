// Live hints over Socket.IO. Any event that can move a figure schedules one
// refresh of GET /api/v1/dashboard/kpis; a burst of scans is one refresh, not
// one per scan. The REST answer is the truth, so a missed event costs nothing:
// a slow poll covers a dropped connection.
const EVENTS = ["movement.recorded", "stock.changed", "exception.raised", "exception.resolved", "low_stock",
  "sync.status", "sync", "list.changed", "task.assigned", "count.requested", "receipt.changed"];
const DEBOUNCE_MS = 400;
const POLL_MS = 30000;

export async function connectLive(token, { onChange, onState }) {
  let timer = null;
  const schedule = () => {
    if (timer) return;
    timer = setTimeout(() => { timer = null; onChange(); }, DEBOUNCE_MS);
  };
  const poll = setInterval(onChange, POLL_MS);
  let socket = null;
  try {
    // The PWA's vendored client; the dashboard does not carry a second copy.
    const { io } = await import("/app/vendor/socket.io-client/socket.io.esm.min.js");
    socket = io({ path: "/socket.io", auth: { token }, transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
    socket.on("connect", () => { onState(true); schedule(); });
    socket.on("disconnect", () => onState(false));
    socket.on("connect_error", () => onState(false));
    for (const name of EVENTS) socket.on(name, schedule);
  } catch (error) {
    console.warn("live updates unavailable, polling every 30 s", error);
    onState(false);
  }
  return { close() { clearInterval(poll); clearTimeout(timer); socket?.close(); } };
}
