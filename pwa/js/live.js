// Live events from the edge over Socket.IO: task assigned, list changed, count
// requested, stock changed. They are hints: the REST API is the truth, so a
// missed event costs a refresh and nothing else. Reconnects by itself.
import { io } from "../vendor/socket.io-client/socket.io.esm.min.js";

// The last five reach supervisors only (and putaway.tasks those who put away).
const EVENTS = ["task.assigned", "task.cancelled", "list.changed", "count.requested", "stock.changed",
  "transfer.expected", "putaway.tasks", "movement.recorded", "exception.raised", "count.approval"];

/** Connect with the session token; onEvent(name, payload) also gets "connect"/"disconnect". */
export function connectLive(token, onEvent) {
  const socket = io({ path: "/socket.io", auth: { token }, transports: ["websocket", "polling"],
    reconnectionDelayMax: 10000 });
  socket.on("connect", () => onEvent("connect"));
  socket.on("disconnect", () => onEvent("disconnect"));
  socket.on("connect_error", () => onEvent("disconnect"));
  for (const name of EVENTS) socket.on(name, (payload) => onEvent(name, payload));
  return { close: () => socket.close(), socket };
}
