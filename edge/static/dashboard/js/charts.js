// Trend charts (uPlot, vendored and pinned: see scripts/vendor-dashboard.sh).
import uPlot from "../vendor/uplot/uPlot.esm.js";

const SERIES = { movements: "#1f6feb", picks: "#1a7f37", exceptions: "#cf222e" };
const charts = {};

function size(el) { return { width: Math.max(240, el.clientWidth), height: 180 }; }

export function renderCharts(trends) {
  const xs = trends.hours.map((h) => Date.parse(h) / 1000);
  for (const [name, colour] of Object.entries(SERIES)) {
    const data = [xs, trends[name]];
    const el = document.getElementById(`chart-${name}`);
    if (charts[name]) {
      charts[name].setData(data);
      continue;
    }
    charts[name] = new uPlot({
      ...size(el),
      legend: { show: false },
      scales: { y: { range: (u, min, max) => [0, Math.max(4, max * 1.1)] } },
      axes: [{}, { size: 48 }],
      series: [{}, { label: name, stroke: colour, fill: `${colour}22`, width: 2, points: { show: false }, paths: uPlot.paths.bars({ size: [0.8, 40] }) }],
    }, data, el);
  }
}

// Tablets rotate and desktops resize: keep each chart as wide as its box.
new ResizeObserver(() => {
  for (const [name, chart] of Object.entries(charts)) chart.setSize(size(document.getElementById(`chart-${name}`)));
}).observe(document.body);
