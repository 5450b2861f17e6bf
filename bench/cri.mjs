#!/usr/bin/env node
// The CRI pod benchmark (issue 13): RunPodSandbox + CreateContainer + StartContainer of a busybox pod
// until its container runs, then StopPodSandbox + RemovePodSandbox, one after another and 10 at once,
// through berthd's CRI socket with a CNI bridge of its own; and berthd's memory per running pod.
// containerd 1.6 (Debian's `containerd`, installed with apt when missing) is timed beside it on
// private dirs, a bridge of its own and berth's busybox saved and imported with ctr. Everything lives in one temp dir with its own berthd; removed at the end.
// Run as root after `bash scripts/setup`: node bench/cri.mjs  (BENCH_RUNS, default 15; BENCH_BERTHD_LOG and
// BENCH_CONTAINERD_LOG keep the daemons' logs, BERTH_TRACE=1 puts berthd's timed steps in its log).
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const repo = resolve(import.meta.dirname, '..');
const { criProtoPath, PROTO_OPTIONS } = await import(join(repo, 'dist/src/server/cri/index.js'));
try {
  execFileSync('containerd', ['--version'], { stdio: 'ignore' });
} catch {
  try {
    execFileSync('bash', ['-c', 'apt-get update -qq && apt-get install -y -qq containerd'], { stdio: 'ignore' });
  } catch {
    /* then it is listed as not installed */
  }
}
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
  // As kubelet sends them: the sandbox's config again with each container (containerd needs it).
  const config = { metadata: { name: `b${i}`, uid: `u${i}`, namespace: 'bench' }, log_directory: join(dir, 'logs', `b${i}`) };
  const { pod_sandbox_id: pod } = await call('RunPodSandbox', { config });
  const tRun = performance.now();
  const { container_id: c } = await call('CreateContainer', { pod_sandbox_id: pod, sandbox_config: config, config: { metadata: { name: 'c' }, image: { image: 'busybox:latest' }, command: ['/bin/sleep', '3600'], log_path: 'c.log' } });
  const tCreate = performance.now();
  await call('StartContainer', { container_id: c });
  const started = performance.now() - t0;
  const steps = { run: tRun - t0, create: tCreate - tRun, start: t0 + started - tCreate };
  if (keep) return { started, pod };
  const t1 = performance.now();
  await call('StopPodSandbox', { pod_sandbox_id: pod });
  await call('RemovePodSandbox', { pod_sandbox_id: pod });
  return { started, steps, removed: performance.now() - t1 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Starts Debian's containerd 1.6 on private dirs with its CRI on a bridge of its own; null when not installed. */
async function startContainerd(images) {
  try {
    execFileSync('containerd', ['--version'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const c = join(dir, 'containerd');
  mkdirSync(join(c, 'net.d'), { recursive: true });
  writeFileSync(join(c, 'net.d', '10-bench.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'bench', plugins: [{ type: 'bridge', bridge: `${bridge}c`, isGateway: true, ipam: { type: 'host-local', subnet: `10.251.${(process.pid + 1) % 250}.0/24`, dataDir: join(c, 'ipam') } }] }));
  // restrict_oom_score_adj: these hosts refuse a lower oom_score_adj (ARCHITECTURE.md's notes).
  writeFileSync(join(c, 'config.toml'), [
    'version = 2', `root = "${c}/root"`, `state = "${c}/state"`, '[grpc]', `  address = "${c}/containerd.sock"`,
    '[plugins."io.containerd.grpc.v1.cri"]', '  sandbox_image = "docker.io/library/benchpause:1"', '  restrict_oom_score_adj = true', '  disable_apparmor = true', '  stream_server_port = "0"',
    '  [plugins."io.containerd.grpc.v1.cri".cni]', '    bin_dir = "/usr/lib/cni"', `    conf_dir = "${c}/net.d"`,
  ].join('\n'));
  const log = openSync(process.env.BENCH_CONTAINERD_LOG ?? '/dev/null', 'a');
  const proc = spawn('containerd', ['--config', join(c, 'config.toml')], { stdio: ['ignore', log, log] });
  closeSync(log);
  for (let i = 0; i < 200 && !existsSync(join(c, 'containerd.sock')); i++) await new Promise((r) => setTimeout(r, 50));
  execFileSync('ctr', ['-a', join(c, 'containerd.sock'), '-n', 'k8s.io', 'images', 'import', images], { stdio: 'ignore' });
  return { proc, socket: join(c, 'containerd.sock'), root: c };
}

/** Whether containerd's `k8s.io` cgroups existed before the bench: if not, the bench removes them after. */
const hadK8sCgroup = existsSync('/sys/fs/cgroup/memory/k8s.io') || existsSync('/sys/fs/cgroup/k8s.io');

async function stopContainerd(ctd) {
  if (!ctd) return;
  if (ctd.proc.exitCode === null) {
    ctd.proc.kill('SIGTERM');
    await new Promise((r) => ctd.proc.once('exit', r));
  }
  // Shims (and their pods) of a run cut short: found by their -address under the bench's root, killed by pid.
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const cmd = (() => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    })();
    if (cmd.includes('containerd-shim') && cmd.includes(ctd.root)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {}
    }
  }
  if (!hadK8sCgroup) {
    for (const c of readdirSync('/sys/fs/cgroup')) {
      try {
        rmdirSync(join('/sys/fs/cgroup', c, 'k8s.io'));
      } catch {}
    }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(ctd.root)).reverse();
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {}
  }
}

async function timePods(call, label) {
  await podCycle(call, `${label}warm`);
  const seq = [];
  for (let i = 0; i < runs; i++) seq.push(await podCycle(call, `${label}${i}`));
  const t0 = performance.now();
  const par = await Promise.all(Array.from({ length: 10 }, (_, i) => podCycle(call, `${label}p${i}`)));
  const step = (k) => median(seq.map((r) => r.steps[k]));
  return { start: median(seq.map((r) => r.started)), steps: { run: step('run'), create: step('create'), start: step('start') }, remove: median(seq.map((r) => r.removed)), parAll: performance.now() - t0, parStart: median(par.map((r) => r.started)) };
}

let ctd = null;
try {
  mkdirSync(join(dir, 'net.d'), { recursive: true });
  writeFileSync(join(dir, 'net.d', '10-bench.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'bench', plugins: [{ type: 'bridge', bridge, isGateway: true, ipam: { type: 'host-local', subnet, dataDir: join(dir, 'ipam') } }] }));
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ cri: { 'cni-conf-dir': join(dir, 'net.d') } }));
  const sock = join(dir, 'berth.sock');
  // BENCH_BERTHD_LOG=FILE (with BERTH_TRACE=1: each start's timed steps) keeps berthd's log.
  const berthdLog = openSync(process.env.BENCH_BERTHD_LOG ?? '/dev/null', 'a');
  berthd = spawn(join(repo, 'bin/berthd'), ['-H', `unix://${sock}`, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'run'), '--bridge', `${bridge}d`, '--bip', `10.252.${process.pid % 250}.1/24`, '--config-file', join(dir, 'daemon.json'), '--cri-socket', join(dir, 'cri.sock')], { stdio: ['ignore', berthdLog, berthdLog] });
  closeSync(berthdLog);
  for (let i = 0; i < 200 && !existsSync(join(dir, 'cri.sock')); i++) await new Promise((r) => setTimeout(r, 50));
  const env = { ...process.env, BERTH: join(repo, 'bin/berth'), BERTH_HOST: `unix://${sock}`, DOCKER_HOST: `unix://${sock}` };
  execFileSync('bash', [join(repo, 'scripts/make-busybox-image')], { env, stdio: 'ignore' });
  const { rt, call } = client(join(dir, 'cri.sock'));
  const b = await timePods(call, 'b');
  const before = rssKb(berthd.pid);
  const kept = [];
  for (let i = 0; i < 10; i++) kept.push((await podCycle(call, `k${i}`, true)).pod);
  const after = rssKb(berthd.pid);
  for (const pod of kept) await call('RemovePodSandbox', { pod_sandbox_id: pod });
  rt.close();
  console.log(`CRI bench: pod start = RunPodSandbox + CreateContainer + StartContainer (busybox sleep); medians of ${runs}, one after another`);
  const row = (name, r) => {
    console.log(`  ${name.padEnd(16)} start ${r.start.toFixed(1).padStart(7)} ms   stop+remove ${r.remove.toFixed(1).padStart(7)} ms   10 at once: ${r.parAll.toFixed(0).padStart(5)} ms (start median ${r.parStart.toFixed(1)} ms)`);
    console.log(`  ${''.padEnd(16)} of it: RunPodSandbox ${r.steps.run.toFixed(1)} ms, CreateContainer ${r.steps.create.toFixed(1)} ms, StartContainer ${r.steps.start.toFixed(1)} ms (medians)`);
  };
  row('berth', b);
  console.log(`  berthd RSS per running pod: ${((after - before) / 10).toFixed(0)} kB; (heap noise either way: a berth pod runs no process of its own; target at most 2 MB)`);
  // containerd's pause image: busybox saved from berth, its command `sleep` for ever, imported with ctr.
  execFileSync(join(repo, 'bin/berth'), ['build', '-q', '-t', 'benchpause:1', '-'], { env, input: 'FROM busybox:latest\nENTRYPOINT ["/bin/sleep", "2147483647"]\n', stdio: ['pipe', 'ignore', 'inherit'] });
  const images = join(dir, 'images.tar');
  execFileSync(join(repo, 'bin/berth'), ['save', '-o', images, 'busybox:latest', 'benchpause:1'], { env });
  ctd = await startContainerd(images);
  if (!ctd) console.log('  containerd 1.6   not installed');
  else {
    const c = client(ctd.socket);
    const r = await timePods(c.call, 'c');
    c.rt.close();
    row('containerd 1.6', r);
    console.log(`  ratio berth / containerd pod start: ${(b.start / r.start).toFixed(2)}x (target <= 0.5x)`);
  }
} finally {
  await stopContainerd(ctd);
  if (berthd && berthd.exitCode === null) {
    berthd.kill('SIGTERM');
    await new Promise((r) => berthd.once('exit', r));
  }
  try {
    execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  } catch {}
  for (const b of [`${bridge}d`, `${bridge}c`]) {
    try {
      execFileSync('ip', ['link', 'del', b], { stdio: 'ignore' });
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
}
