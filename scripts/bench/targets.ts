/**
 * The bench's report: each measurement of issue #15 beside its target, with the ratio, plus the other parts'
 * lines. A ratio is measured / target, oriented so that ≤ 1 meets a "at most" target and ≥ 1 an "at least" one.
 */
type Load = { rps: number; p50: number; p99: number; errors: number };
type Results = Record<string, any>;

export interface TargetRow {
  measurement: string;
  measured: string;
  target: string;
  ratio: number | null;
  met: boolean | null;
}

const f = (n: number | undefined, d = 1) => (typeof n === "number" && Number.isFinite(n) ? n.toFixed(d) : "n/a");

export function targetsTable(results: Results): { rows: TargetRow[]; text: string } {
  const rows: TargetRow[] = [];
  const a = results.valid_token as Record<string, Load> | undefined;
  if (a) {
    const floors = [a.floor_bare_deno_select!, a.floor_again].filter(Boolean) as Load[];
    const floorRps = floors.reduce((s, l) => s + l.rps, 0) / floors.length;
    const floorP99 = floors.reduce((s, l) => s + l.p99, 0) / floors.length;
    const d = a.get_token_one_process_direct!;
    rows.push({
      measurement: "floor: bare Deno + the same SELECT, 50 clients (mean of the runs before and after)",
      measured: `${f(floorRps, 0)} req/s, p99 ${f(floorP99)} ms (${floors.map((l) => `${f(l.rps, 0)} req/s p99 ${f(l.p99)}`).join("; ")})`,
      target: "—", ratio: null, met: null,
    });
    const share = d.rps / floorRps;
    rows.push({
      measurement: "get-token direct, one process: throughput",
      measured: `${f(d.rps, 0)} req/s (${f(share * 100, 0)}% of floor), ${d.errors} errors`,
      target: "≥70% of floor", ratio: share / 0.7, met: share >= 0.7,
    });
    const p99Ratio = d.p99 / floorP99;
    rows.push({
      measurement: "get-token direct, one process: p99",
      measured: `${f(d.p99)} ms (${f(p99Ratio, 2)}× floor's)`,
      target: "≤1.5× floor's p99", ratio: p99Ratio / 1.5, met: p99Ratio <= 1.5,
    });
    const cpu = (l: Load | undefined) => (l as { cpu_us_per_request?: number } | undefined)?.cpu_us_per_request;
    const floorCpu = floors.map(cpu).filter((x): x is number => typeof x === "number");
    if (cpu(d) !== undefined && floorCpu.length) {
      const fc = floorCpu.reduce((x, y) => x + y, 0) / floorCpu.length;
      rows.push({
        measurement: "CPU per request of the serving process (/proc): get-token direct against the floor",
        measured: `${f(cpu(d), 0)} µs against ${f(fc, 0)} µs (${f(cpu(d)! / fc, 2)}×)`,
        target: "—", ratio: null, met: null,
      });
    }
    const g = a.get_token_via_gateway_two_processes;
    if (g) rows.push({ measurement: "get-token via the local gateway, two processes", measured: `${f(g.rps, 0)} req/s, p99 ${f(g.p99)} ms`, target: "—", ratio: null, met: null });
  }
  const b = results.refresh_due as Results | undefined;
  if (b) {
    const per = b.cpu_ms_per_refreshed as number;
    rows.push({
      measurement: `CPU per refreshed connection (refresh-expiring process, /proc), ${b.connections} refreshes`,
      measured: `${f(per, 3)} ms (${f((b.cpu_ms_per_refreshed_measured_on === "repeated_run" ? b.repeated_run : b).process_cpu_ms, 0)} ms CPU; the other ${b.connections}-row run ${f((b.cpu_ms_per_refreshed_measured_on === "repeated_run" ? b : b.repeated_run).cpu_ms_per_refreshed, 3)} ms)`,
      target: "≤0.4 ms", ratio: per / 0.4, met: per <= 0.4,
    });
    const peak = Math.max(b.function_peak_rss_mb as number, b.repeated_run?.function_peak_rss_mb_after ?? 0);
    const small = b.smaller_run?.function_peak_rss_mb_after as number | undefined;
    rows.push({
      measurement: `refresh-expiring peak RSS, ${b.connections} rows (flat in rows)`,
      measured: `${f(peak)} MB (after ${b.smaller_run?.connections} rows: ${f(small)} MB; start ${f(b.function_rss_mb_at_start)} MB)`,
      target: "<150 MB", ratio: peak / 150, met: peak < 150,
    });
    rows.push({
      measurement: "refresh-expiring: all due refreshed, per-provider concurrency held",
      measured: `${b.refreshed}/${b.connections} in ${f(b.seconds_to_refresh_all)} s by ${b.runs?.length} runs; limits held: ${b.per_provider_concurrency_respected}`,
      target: "—", ratio: null, met: null,
    });
  }
  const e = results.get_token_soak as Results | undefined;
  if (e) {
    const procs = e.processes as { rss_mb_start: number; rss_mb_max: number; rss_mb_end: number; rss_mb_growth_last_minute_vs_second: number }[];
    const max = Math.max(...procs.map((p) => p.rss_mb_max));
    rows.push({
      measurement: `get-token RSS under ${e.seconds} s of load (two processes)`,
      measured: procs.map((p) => `${f(p.rss_mb_start, 0)} → max ${f(p.rss_mb_max, 0)}, end ${f(p.rss_mb_end, 0)} MB (last minute vs second ${p.rss_mb_growth_last_minute_vs_second >= 0 ? "+" : ""}${f(p.rss_mb_growth_last_minute_vs_second)} MB)`).join("; ")
        + `; ${f(e.rps, 0)} req/s`,
      target: "<120 MB per process, flat", ratio: max / 120, met: max < 120,
    });
  }
  const h = results.token_health as Results | undefined;
  if (h) {
    rows.push({
      measurement: `token-health at ${Number(h.rows).toLocaleString("en")} rows (${h.expired_rows} lapsed)`,
      measured: `function p50 ${f(h.function_ms_p50)} ms, max ${f(h.function_ms_max)}; SQL p50 ${f(h.sql_ms_p50)} ms (a full scan: ${f(h.full_scan_ms)} ms)`,
      target: "≤20 ms", ratio: h.function_ms_p50 / 20, met: h.function_ms_p50 <= 20,
    });
  }
  const c = results.stampede as Results | undefined;
  if (c) rows.push({ measurement: "stampede: 1,000 concurrent get-token on one expired token", measured: `${c.provider_refresh_calls} provider call(s), p99 ${f(c.p99_ms)} ms`, target: "1 provider call", ratio: null, met: c.provider_refresh_calls === 1 });
  const d = results.backlog as Results | undefined;
  if (d) rows.push({
    measurement: `backlog ${d.connections} @100 ms, ${d.partitions} partitions`,
    measured: `${d.ticks} ticks, ${f(d.cpu_ms_per_refreshed, 2)} ms CPU per refreshed, max ${d.cpu_ms_max} ms per invocation`,
    target: "every invocation < 2,000 ms CPU", ratio: null, met: d.invocations_over_2000_cpu_ms === 0,
  });
  const mark = (r: TargetRow) => (r.met === null ? "" : r.met ? "met" : "NOT met");
  const text = rows.map((r) => `${r.measurement}\n    ${r.measured}${r.target !== "—" ? `\n    target ${r.target}${r.ratio !== null ? `, ratio ${f(r.ratio, 2)}` : ""} ${mark(r)}` : ""}`).join("\n");
  return { rows, text };
}
