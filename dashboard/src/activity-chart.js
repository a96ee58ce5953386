import { html } from "htm/preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

/** Refreshes and failures per hour, as bars (uPlot). */
export function ActivityChart({ buckets }) {
  const box = useRef(null);
  useEffect(() => {
    if (!box.current || buckets.length === 0) return undefined;
    const xs = buckets.map((b) => Date.parse(b.hour) / 1000);
    const bars = uPlot.paths.bars({ size: [0.4, 24], align: 0 });
    const plot = new uPlot({
      width: Math.max(320, box.current.clientWidth),
      height: 220,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
      series: [
        {},
        { label: "refreshed", stroke: "#2f7d4f", fill: "rgba(47,125,79,0.55)", paths: bars, points: { show: false } },
        { label: "failed", stroke: "#b3261e", fill: "rgba(179,38,30,0.6)", paths: uPlot.paths.bars({ size: [0.4, 24], align: 1 }), points: { show: false } },
      ],
      axes: [{}, { label: "per hour", size: 50 }],
      legend: { live: false },
    }, [xs, buckets.map((b) => b.refreshed), buckets.map((b) => b.failed)], box.current);
    return () => plot.destroy();
  }, [buckets]);
  return html`<div ref=${box} class="chart" aria-label="Refreshes and failures per hour over the last 24 hours"></div>`;
}
