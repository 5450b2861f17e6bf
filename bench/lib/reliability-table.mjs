// Reads the RELIABILITY lines the suites print (node --test output on stdin, files as arguments)
// and prints bench/reliability's one table.
import { readFileSync } from 'node:fs';

const [fuzzInputs, fuzzFailed, ...logs] = process.argv.slice(2);
const rows = {};
for (const f of logs) {
  for (const m of readFileSync(f, 'utf8').matchAll(/RELIABILITY (\w[\w-]*) (\{.*\})/g)) rows[m[1]] = JSON.parse(m[2]);
}
const cell = (v) => (v === undefined ? 'did not run' : String(v));
// The two crash files (image operations, container operations) make one row.
const ci = rows['crash-images'];
const cc = rows['crash-containers'];
const c = ci || cc ? { operations: (ci?.operations ?? 0) + (cc?.operations ?? 0), killsPerOp: (ci ?? cc).killsPerOp, kills: (ci?.kills ?? 0) + (cc?.kills ?? 0), inFlight: (ci?.inFlight ?? 0) + (cc?.inFlight ?? 0), faults: (ci?.faults ?? 0) + (cc?.faults ?? 0), seed: [ci?.seed, cc?.seed].filter((x) => x !== undefined).join(' / ') } : undefined;
const l = rows['load'];
const r = rows['registry'];
const d = rows['disk-full'];
const table = [
  ['crash', c ? `${c.operations} operations x ${c.killsPerOp} kill points = ${c.kills} kills (${c.inFlight} mid-operation), seeds ${c.seed}` : 'did not run', cell(c?.faults)],
  ['load', l ? `${l.operations} concurrent operations; berthd fds ${l.before.fds} -> ${l.after.fds}, sockets ${l.before.sockets} -> ${l.after.sockets}, RSS ${l.before.rssMb} -> ${l.after.rssMb} MB` : 'did not run', l ? `${l.faults} faults, ${l.leaks} leaks` : 'did not run'],
  ['registry', r ? `${r.uploads} concurrent uploads to one repository, ${r.cut} cut off mid-upload` : 'did not run', r ? `${r.faults} corrupt or lost` : 'did not run'],
  ['fuzz', `up to ${fuzzInputs} inputs over the fuzz properties`, `${fuzzFailed} crashes or escapes`],
  ['disk full', d ? `${d.cases} cases (pull, load, commit, build, container write, exec)` : 'did not run', d ? `${d.faults} faults, ${d.corruptions} corruptions` : 'did not run'],
];
const w0 = Math.max(...table.map((t) => t[0].length), 5);
const w1 = Math.max(...table.map((t) => t[1].length), 4);
console.log(`| ${'suite'.padEnd(w0)} | ${'what was tried'.padEnd(w1)} | found |`);
console.log(`| ${'-'.repeat(w0)} | ${'-'.repeat(w1)} | ----- |`);
for (const t of table) console.log(`| ${t[0].padEnd(w0)} | ${t[1].padEnd(w1)} | ${t[2]} |`);
