// Count (blind): pick a count task (claiming it with count.start), walk its
// bins in order, scan each bin label (the moment of count), scan or type what
// is there, send. The device never has the expected quantities, so it cannot
// show them. Recounts and new tasks arrive live (count.requested) and the
// list re-reads itself.
import { describe } from "../api.js";
import { BinCount, binCatalog } from "../counting.js";
import { interpret } from "../scan.js";
import { cameraToggle } from "../camera-button.js";
import { cachedGet, fill, h, noteBox, qty as fmt, scanField } from "../ui.js";

export function mount(app, root) {
  let task = null;     // the blind task view
  let counting = null; // BinCount of the bin being counted
  let need = null;     // a lot-tracked scan waiting for its lot
  const prompt = h("p", { class: "prompt", id: "count-prompt", "aria-live": "assertive" });
  const { note, say } = noteBox(app, "count-note");
  const body = h("div", {});
  const camera = cameraToggle(app);
  fill(root, h("h1", {}, "Count"), prompt, note, body, camera.button, camera.box);
  showTasks();

  async function showTasks() {
    task = counting = null;
    prompt.textContent = "Pick a count task";
    prompt.dataset.stage = "tasks";
    let tasks = [];
    try {
      const [page] = await cachedGet(app, "count:tasks", () => app.api.get("/count-tasks", { limit: 100 }));
      tasks = (page?.items ?? []).filter((t) => t.excluded_user !== app.user.id
        && (t.assigned_to == null || t.assigned_to === app.user.id));
    } catch (error) {
      say("error", describe(error));
    }
    if (task) return; // opened one meanwhile
    fill(body, tasks.length ? h("ul", { class: "tiles", id: "count-tasks" }, tasks.map((t) =>
      h("li", {}, h("button", { type: "button", class: "tile", id: `count-task-${t.id}`, dataset: { kind: t.kind },
        "aria-label": `Count task ${t.id}, ${t.kind}: ${t.bins - t.bins_counted} of ${t.bins} bins left`, onclick: () => open(t) },
      h("span", { class: "tile-title" }, `${t.kind === "recount" ? "Recount" : "Count"} ${t.id} · ${t.kind}`),
      h("span", { class: "tile-hint" }, `${t.bins - t.bins_counted} of ${t.bins} bins left${t.zone ? ` · zone ${t.zone}` : ""}${t.note ? ` · ${t.note}` : ""}`)))))
      : h("p", { class: "muted", id: "count-none" }, "No count task is waiting."));
    return undefined;
  }

  async function open(summary) {
    try {
      const [detail] = await cachedGet(app, `count:task:${summary.id}`, () => app.api.get(`/count-tasks/${summary.id}`));
      if (!detail) return say("error", "Offline, and this task is not on the device yet");
      task = detail;
    } catch (error) {
      return say("error", describe(error));
    }
    if (task.status === "open") await app.outbox.add("count.start", { task_id: task.id });
    await nextBin();
    return undefined;
  }

  // Bins this device counted: those still in the outbox and those already
  // taken by the edge (marked on the cached task), whichever is the case now.
  async function countedHere() {
    const sent = (await app.outbox.pending()).filter((c) => c.type === "count" && c.payload.task_id === task.id);
    return new Set([...sent.map((c) => c.payload.bin), ...task.bins.filter((b) => b.status !== "open").map((b) => b.bin)]);
  }

  async function nextBin() {
    counting = null;
    need = null;
    const done = await countedHere();
    const open = task.bins.filter((b) => b.status === "open" && !done.has(b.bin));
    const progress = `${task.bins.length - open.length} of ${task.bins.length} bins counted`;
    if (!open.length) {
      prompt.textContent = "Task counted: thank you";
      prompt.dataset.stage = "done";
      fill(body, h("p", { id: "count-progress" }, progress),
        h("button", { type: "button", class: "btn btn-wide", id: "count-back", onclick: showTasks }, "Back to the tasks"));
      return;
    }
    prompt.textContent = "Go to the bin, scan its label";
    prompt.dataset.stage = "bin";
    const { form } = scanField({ label: "Type a bin code", onSubmit: (code) => handle({ raw: code }) });
    fill(body, h("div", { class: "pick-bin", id: "count-bin", "aria-label": "Bin to count" }, open[0].bin),
      h("p", { class: "muted", id: "count-progress" }, `Task ${task.id} · ${progress}`), form);
  }

  function startBin(code) {
    const bin = task.bins.find((b) => b.bin === code && b.status === "open");
    if (!bin) return say("error", `bin ${code} is not part of count task ${task.id}; scan a bin of the task`);
    counting = new BinCount(bin);
    say("ok", "");
    renderBin();
    return undefined;
  }

  function renderBin() {
    const bin = counting.bin;
    prompt.textContent = need ? `Scan or type the lot of ${need.answer.sku}` : "Scan what is there; type loose pieces";
    prompt.dataset.stage = need ? "lot" : "items";
    const rows = [...counting.lines.values()].map((l) => h("li", { class: "result count-line", dataset: { key: l.key, sku: l.sku } },
      h("span", { class: "pick-item" }, `${l.sku}${l.lot ? ` lot ${l.lot}` : ""}`),
      h("span", { class: "muted small" }, ` ${l.description ?? ""}`),
      l.tracking === "serial" ? h("span", {}, ` · ${l.serials.length} serial(s)`)
        : h("input", { type: "number", inputmode: "decimal", min: "0", step: "any", class: "count-qty",
          "aria-label": `Counted ${l.sku}${l.lot ? ` lot ${l.lot}` : ""}`, value: String(l.qty),
          oninput: (event) => counting.set(l.key, event.target.value) })));
    const { form } = scanField({ label: need ? "Type the lot" : "Type a barcode", id: "count-input",
      onSubmit: (code) => handle({ raw: code }) });
    fill(body, h("div", { class: "pick-bin", id: "count-bin", "aria-label": "Bin being counted" }, bin.bin),
      bin.only_sku ? h("p", { class: "warn" }, `Count only ${bin.only_sku}`) : null,
      h("ol", { class: "results", id: "count-lines", "aria-label": "Counted in this bin" }, rows),
      h("p", { class: "muted small" }, "An item listed here that is not in the bin: leave it at 0."), form,
      h("button", { type: "button", class: "btn btn-wide", id: "count-send", onclick: send }, `Send the count of ${bin.bin}`));
  }

  async function send() {
    const payload = counting.payload(task.id);
    await app.outbox.add("count", payload);
    task.bins.find((b) => b.bin === payload.bin).status = "counted";
    await app.store.cachePut?.(`count:task:${task.id}`, task);
    say("ok", `Bin ${payload.bin} counted`);
    note.textContent = `Bin ${payload.bin} counted`;
    await nextBin();
  }

  function handle(scan) {
    if (!task) return say("warn", "Pick a count task first");
    const catalog = binCatalog(counting?.bin, app.catalog);
    const answer = interpret(scan.raw, scan.symbology ?? null, { catalog, gsSubstitute: app.settings.gsSubstitute || null });
    if (!counting) {
      if (answer.kind !== "bin") return say("error", `${answer.sku ?? `'${scan.raw}'`} is not a bin: scan the bin label first`);
      return startBin(answer.bin.code);
    }
    if (need && !answer.sku) {
      const result = counting.add(need.answer, { lot: answer.gs1?.lot ?? scan.raw.trim() });
      need = null;
      return report(result);
    }
    if (answer.kind === "bin" && answer.bin.code !== counting.bin.bin) {
      return say("error", `you are counting ${counting.bin.bin}; send its count before scanning ${answer.bin.code}`);
    }
    return report(counting.add(answer));
  }

  function report(result) {
    if (result.error) return say("error", result.error);
    if (result.need) {
      need = result;
      say("warn", `${result.answer.sku} is lot-tracked: scan or type the lot`);
    } else {
      say("ok", "");
      note.textContent = `${result.line.sku}: ${fmt(result.line.qty)} counted`;
    }
    renderBin();
    return undefined;
  }

  return {
    onScan: handle,
    onOutbox(event) {
      if (event.type === "result" && event.result.status === "rejected" && event.command.type.startsWith("count")) {
        say("error", event.result.problem?.detail ?? "refused");
      }
    },
    unmount() { camera.stop(); },
    onLive(name) {
      if ((name === "count.requested" || name === "task.assigned" || name === "task.cancelled") && !task) showTasks();
    },
  };
}
