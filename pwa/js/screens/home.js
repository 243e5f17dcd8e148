// The workflows the signed-in user's role allows, as big tiles.
import { h, fill } from "../ui.js";

const EVERYONE = ["picker", "receiver", "counter", "supervisor", "admin"];

const SUPERVISORS = ["supervisor", "admin"];

// The roles match what the edge lets each role send (docs/api.md), so nobody
// gets a tile for work the edge would refuse.
const WORKFLOWS = [
  { screen: "receive", title: "Receive", hint: "Deliveries at the dock", roles: ["receiver", ...SUPERVISORS] },
  { screen: "putaway", title: "Put away", hint: "From the dock to a bin", roles: ["receiver", "picker", ...SUPERVISORS] },
  { screen: "pick", title: "Pick", hint: "Walk your pick list", roles: ["picker", ...SUPERVISORS] },
  { screen: "count", title: "Count", hint: "Blind cycle counts", roles: ["counter", ...SUPERVISORS] },
  { screen: "returns", title: "Returns", hint: "Book and decide customer returns", roles: ["receiver", "counter", ...SUPERVISORS] },
  { screen: "move", title: "Move", hint: "Bin to bin", roles: EVERYONE },
  { screen: "lookup", title: "Look up", hint: "What is this? Where is it?", roles: EVERYONE },
  { screen: "exceptions", title: "Exceptions", hint: "Decide what the floor disagreed on", roles: SUPERVISORS },
  { screen: "floor", title: "Floor", hint: "Who is doing what, live", roles: SUPERVISORS },
  // Another page of the edge (not this app): a plain link, so it opens outside the hash router.
  { href: "/dashboard/", id: "tile-dashboard", title: "Dashboard", hint: "The big-screen view", roles: SUPERVISORS },
  { screen: "attention", title: "Needs attention", hint: "Refused actions", roles: EVERYONE },
  { screen: "settings", title: "Settings", hint: "Scanner, idle sign-out, sound", roles: EVERYONE },
];

export function workflowsFor(role) {
  return WORKFLOWS.filter((w) => w.roles.includes(role));
}

export function mount(app, root) {
  const tiles = workflowsFor(app.user.role).map((w) =>
    h("li", {}, h("a", { class: "tile", href: w.href ?? `#${w.screen}`, id: w.id ?? `tile-${w.screen}`, "aria-label": `${w.title}: ${w.hint}` },
      h("span", { class: "tile-title" }, w.title), h("span", { class: "tile-hint" }, w.hint))));
  fill(root, h("section", { class: "home", "aria-labelledby": "home-title" },
    h("h1", { id: "home-title" }, `Hello, ${app.user.name}`),
    h("p", { class: "role" }, `Signed in as ${app.user.role}`),
    h("ul", { class: "tiles" }, tiles)));
  return {
    onScan(scan) {
      // A scan on the home screen is a question: answer it on the lookup screen.
      app.pendingLookup = scan;
      app.go("lookup");
    },
  };
}
