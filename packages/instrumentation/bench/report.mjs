// What the bench prints: a table per (transport, workload), the issue's
// targets as verdicts on the token-dense workload, and what bounds the
// ratio, all from the figures of this run.

const f1 = (x) => (x === undefined ? '-' : x.toFixed(1));

export function printTable(g, label) {
  console.log(`\n${g.transport}, ${label}: ${g.calls} calls per side per round`);
  const head = ['side', 'calls/s vs uninstr. (median)', 'spread', 'us/call', 'CPU us/call', 'main-thread CPU us/call', 'overhead CPU', 'of it main thread', 'token check'];
  const table = g.rows.map((r) => [r.label, r.key === 'base' ? '1' : `${r.ratio.toFixed(3)}x`, r.key === 'base' ? '-' : `${r.min.toFixed(2)}-${r.max.toFixed(2)}`, f1(r.wall), f1(r.cpu), f1(r.main), r.key === 'base' ? '-' : f1(r.overCpu), r.key === 'base' ? '-' : f1(r.overMain), r.tokenCheck || '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const fmt = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(fmt(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const t of table) console.log(fmt(t));
  const c = g.counters;
  console.log(`exact counting, hot loop on the main thread, this group's texts: ours ${f1(c.ours)} us, gpt-tokenizer ${f1(c.reference)} us per result (${(c.reference / c.ours).toFixed(2)}x), ${c.equal ? 'same tokens' : 'COUNTS DIFFER'}`);
}

const row = (g, key) => g?.rows.find((r) => r.key === key);
const verdict = (ok, text) => `${ok ? 'met    ' : 'not met'}  ${text}`;

/** The targets of issue 15, on the token-dense workload. */
export function printVerdicts(groups) {
  const lines = [];
  for (const t of ['in-memory', 'stdio']) {
    const g = groups.find((x) => x.transport === t && x.w === 'dense');
    if (!g) continue;
    const peer = row(g, 'peer');
    const spans = row(g, 'spans');
    const all = row(g, 'all');
    lines.push(verdict(spans.ratio >= peer.ratio, `${t}: ours, spans only ${spans.ratio.toFixed(3)}x >= OpenLLMetry ${peer.ratio.toFixed(3)}x`));
    const k = t === 'stdio' ? 1 : 0.85;
    lines.push(verdict(all.ratio >= k * peer.ratio, `${t}: ours, all signals ${all.ratio.toFixed(3)}x >= ${k === 1 ? '' : `${k} x `}OpenLLMetry ${peer.ratio.toFixed(3)}x${k === 1 ? '' : ` = ${(k * peer.ratio).toFixed(3)}x`}`));
    if (all.main !== undefined && peer.main !== undefined)
      lines.push(verdict(all.main <= 1.5 * peer.main, `${t}: main-thread CPU per call, all signals ${f1(all.main)} us <= 1.5 x OpenLLMetry ${f1(peer.main)} us = ${f1(1.5 * peer.main)} us (overheads over uninstrumented: ${f1(all.overMain)} vs ${f1(peer.overMain)} us)`));
  }
  const dense = groups.filter((x) => x.w === 'dense');
  if (dense.length) {
    const speedups = dense.map((g) => g.counters.reference / g.counters.ours);
    const s = Math.min(...speedups);
    lines.push(verdict(s >= 1.8, `exact counting on the token-dense texts: ${speedups.map((x) => `${x.toFixed(2)}x`).join(', ')} gpt-tokenizer's speed (>= 1.8x), same tokens: ${dense.every((g) => g.counters.equal)}`));
  }
  if (lines.length) console.log(`\nTargets (issue 15, token-dense workload, this run):\n${lines.map((l) => `- ${l}`).join('\n')}`);
}

/**
 * What bounds the ratio, from figures of this run (token-dense workload).
 * The work any instrumentation of our depth must add per call is the SDK
 * floor's OpenTelemetry calls (main thread) plus the exact count (any
 * thread). A round trip cannot take less than its CPU work spread over all
 * cores, and in memory, where client and server share one thread that never
 * idles in a sequential loop, every main-thread call lengthens it: there the
 * SDK floor itself is the bound.
 */
export function printBounds(groups, cores) {
  const lines = [];
  for (const t of ['in-memory', 'stdio']) {
    const g = groups.find((x) => x.transport === t && x.w === 'dense');
    if (!g) continue;
    const base = row(g, 'base');
    const f = row(g, 'floor');
    const otel = Math.max(0, f.overCpu);
    const server = base.server ?? 0;
    const demand = base.cpu + server + otel + g.counters.ours;
    const cpuBound = Math.min(1, (cores * base.wall) / demand);
    const bound = t === 'in-memory' ? Math.min(f.ratio, cpuBound) : cpuBound;
    const parts = `client ${f1(base.cpu)}${base.server !== undefined ? ` + server ${f1(server)}` : ''} + OpenTelemetry ${f1(otel)} + exact count ${f1(g.counters.ours)} us`;
    lines.push(
      `${t}: CPU work per call ${parts} = ${f1(demand)} us on ${cores} cores, base round trip ${f1(base.wall)} us: at most ${cpuBound.toFixed(3)}x` +
        (t === 'in-memory' ? `; one busy thread: at most the SDK floor, ${f.ratio.toFixed(3)}x` : `; the machine is ${(((base.cpu + server) / (cores * base.wall)) * 100).toFixed(0)}% busy at the base rate`) +
        `. Bound for all signals: ${bound.toFixed(3)}x.`,
    );
  }
  if (lines.length) console.log(`\nWhat bounds the ratio (token-dense workload, this run's figures):\n${lines.map((l) => `- ${l}`).join('\n')}`);
}
