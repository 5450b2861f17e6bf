// Prints bench/run's table from hyperfine's JSON export, the list of contenders not timed, and the
// berthd figures (key=value lines). Usage: node bench/report.mjs SKIPPED_TXT EXTRA_ENV HYPERFINE_JSON...
import { existsSync, readFileSync } from 'node:fs';

const [skippedPath = '', extraPath = '', ...jsonPaths] = process.argv.slice(2);
const FLOOR = 'runc run (floor A)';
const RATIO_TARGETS = new Map([
  ['berth run --rm', 3],
  ['docker CLI -> berthd', 2.5],
  ['docker CLI -> berthd --network none', 2.3],
  ['docker CLI -> berthd, 20 at once', 2],
]);
/** A burst (20 runs at once) is set against the burst of raw runc, not one run. */
const BURST = ', 20 at once';
const BURST_FLOOR = 'runc run, 20 at once (floor)';
/** Issue 16: 20 runs at once through berthd take at most this share of Docker Engine's time. */
const BURST_VS_DOCKER = 0.3;
const RSS_TARGET_MB = 60;
/** berthd may grow by this much over the runs (issue 16: after 200 runs, <= 5 MB). */
const RSS_GROWTH_MB = 5;
/** The berth client's CPU per run may exceed node's own start by this much. */
const CLIENT_CPU_OVER_NODE_MS = 15;

const results = jsonPaths.filter((p) => existsSync(p)).flatMap((p) => JSON.parse(readFileSync(p, 'utf8')).results);
const skipped = readLines(skippedPath).map((line) => {
  const bar = line.indexOf('|');
  return { name: line.slice(0, bar), why: line.slice(bar + 1) };
});
const extra = Object.fromEntries(
  readLines(extraPath).map((line) => [line.slice(0, line.indexOf('=')), Number(line.slice(line.indexOf('=') + 1))]),
);

const floor = results.find((r) => r.command === FLOOR);
const ms = (s) => (s * 1000).toFixed(1);
const rows = [['contender', 'median ms', 'mean ± sd ms', 'min–max ms', 'runs', 'x raw runc', 'target']];
const burstFloor = results.find((r) => r.command === BURST_FLOOR);
for (const r of results) {
  const base = r.command.includes(BURST) || r.command === BURST_FLOOR ? burstFloor : floor;
  const ratio = base ? r.median / base.median : NaN;
  const limit = RATIO_TARGETS.get(r.command);
  rows.push([
    r.command,
    ms(r.median),
    `${ms(r.mean)} ± ${ms(r.stddev ?? 0)}`,
    `${ms(r.min)}–${ms(r.max)}`,
    String(r.times.length),
    Number.isNaN(ratio) ? 'n/a' : `${ratio.toFixed(2)}x`,
    limit === undefined ? '' : `<= ${limit}x ${verdict(ratio <= limit, ratio)}`,
  ]);
}

console.log('\nberth bench — `run --rm busybox true`: medians (hyperfine, 2 warm-up runs), ratio to raw runc (a burst of 20: to 20 raw runc at once)\n');
const nameWidth = printTable(rows);
for (const s of skipped) {
  const limit = RATIO_TARGETS.get(s.name);
  const target = limit === undefined ? '' : `   (target <= ${limit}x raw runc: NOT MEASURED)`;
  console.log(`${s.name.padEnd(nameWidth)}  ${s.why}${target}`);
}
console.log('');
// The berth client's own cost: its run minus the docker CLI's on the same berthd, against node's start.
const byName = (n) => results.find((r) => r.command === n);
const [burstBerth, burstDocker] = [byName(`docker CLI -> berthd${BURST}`), byName(`Docker Engine${BURST}`)];
if (burstBerth && burstDocker) {
  const r = burstBerth.median / burstDocker.median;
  console.log(`20 at once, berthd / Docker Engine: ${r.toFixed(2)}x   (target <= ${BURST_VS_DOCKER}x: ${verdict(r <= BURST_VS_DOCKER, r)})`);
} else if (burstBerth) console.log(`20 at once, berthd / Docker Engine: not measured (Docker Engine not timed)   (target <= ${BURST_VS_DOCKER}x)`);
const [berthRun, dockerRun, nodeStart] = [byName('berth run --rm'), byName('docker CLI -> berthd'), byName('node -e 0 (client start-up)')];
if (berthRun && dockerRun && nodeStart) {
  const own = (berthRun.median - dockerRun.median) * 1000;
  const limit = nodeStart.median * 1000;
  console.log(`berth run --rm minus docker CLI: ${own.toFixed(1)} ms   (target <= node -e 0, ${limit.toFixed(1)} ms: ${verdict(own <= limit, own)})`);
}
if ('rss_start' in extra) {
  console.log(
    `berthd RSS after start:          ${extra.rss_start.toFixed(1)} MB   ` +
      `(target <= ${RSS_TARGET_MB} MB: ${verdict(extra.rss_start <= RSS_TARGET_MB, extra.rss_start)})`,
  );
}
if ('rss_after' in extra) {
  if ('rss_ready' in extra) console.log(`berthd RSS after image import:   ${extra.rss_ready.toFixed(1)} MB   (+5 s; V8 and malloc give the import's memory back only over the next ~10 s)`);
  const more = 'rss_runs' in extra ? ` (the timed runs and ${extra.rss_runs} more)` : '';
  console.log(`berthd RSS after the runs:       ${extra.rss_after.toFixed(1)} MB${more}`);
  // From after start: the growth includes the image import and the run path's compiled code.
  const growth = 'rss_start' in extra ? extra.rss_idle - extra.rss_start : NaN;
  console.log(
    `berthd RSS after 5 s idle:       ${extra.rss_idle.toFixed(1)} MB   ` +
      (Number.isNaN(growth) ? '' : `(grew ${growth.toFixed(1)} MB since start; target <= ${RSS_GROWTH_MB} MB: ${verdict(growth <= RSS_GROWTH_MB, growth)})`),
  );
}
if ('cpu_failed' in extra) {
  console.log(`CPU per \`berth run --rm\`: not measured (a run failed with exit ${extra.cpu_failed})`);
} else if ('daemon_cpu' in extra) {
  const total = extra.daemon_cpu + extra.daemon_child_cpu + extra.client_cpu;
  console.log(`CPU per \`berth run --rm\` (mean of ${extra.cpu_runs} runs, /proc ticks):`);
  console.log(`  berthd itself (utime+stime):   ${fmtCpu(extra.daemon_cpu)}`);
  console.log(`  berthd's reaped children:      ${fmtCpu(extra.daemon_child_cpu)}   (runc start/delete …; conmon is not reaped by berthd)`);
  const clientLimit = 'node_cpu' in extra ? extra.node_cpu + CLIENT_CPU_OVER_NODE_MS / 1000 : NaN;
  console.log(
    `  berth client (bash times):     ${fmtCpu(extra.client_cpu)}` +
      (Number.isNaN(clientLimit) ? '' : `   (node -e 0: ${fmtCpu(extra.node_cpu).trim()}; target <= ${(clientLimit * 1000).toFixed(1)} ms: ${verdict(extra.client_cpu <= clientLimit, extra.client_cpu)})`),
  );
  console.log(`  total:                         ${fmtCpu(total)}`);
} else {
  console.log('berthd RSS and CPU per run: not measured (berth run --rm did not work, see above)');
}

function readLines(path) {
  if (!path || !existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

function verdict(ok, value) {
  return Number.isFinite(value) ? (ok ? 'OK' : 'MISSED') : 'NOT MEASURED';
}

function fmtCpu(seconds) {
  return `${(seconds * 1000).toFixed(1)} ms`.padStart(9);
}

function printTable(table) {
  const widths = table[0].map((_, col) => Math.max(...table.map((row) => row[col].length)));
  for (const row of table) {
    console.log(
      row
        .map((cell, col) => (col === 0 || col === row.length - 1 ? cell.padEnd(widths[col]) : cell.padStart(widths[col])))
        .join('  ')
        .trimEnd(),
    );
  }
  return widths[0] ?? 0;
}
