// The workflows the signed-in user's role allows, as big tiles.
import { h, fill } from "../ui.js";

const EVERYONE = ["picker", "receiver", "counter", "supervisor", "admin"];

// Workflows not built yet (receive, putaway, count, returns, exceptions,
// floor view) are listed in docs/pwa.md and appear here once they have a screen.
const WORKFLOWS = [
  { screen: "pick", title: "Pick", hint: "Walk your pick list", roles: ["picker", "supervisor", "admin"] },
  { screen: "move", title: "Move", hint: "Bin to bin", roles: EVERYONE },
  { screen: "lookup", title: "Look up", hint: "What is this? Where is it?", roles: EVERYONE },
  { screen: "attention", title: "Needs attention", hint: "Refused actions", roles: EVERYONE },
];

export function workflowsFor(role) {
  return WORKFLOWS.filter((w) => w.roles.includes(role));
}

export function mount(app, root) {
  const tiles = workflowsFor(app.user.role).map((w) =>
    h("li", {}, h("a", { class: "tile", href: `#${w.screen}`, id: `tile-${w.screen}`, "aria-label": `${w.title}: ${w.hint}` },
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
