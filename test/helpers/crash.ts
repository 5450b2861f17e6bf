import { readdirSync, readFileSync } from 'node:fs';
import { TestDaemon, leftoverMounts, type RunResult } from './daemon.js';

/*
 * The crash suite's engine, shared by test/crash.test.ts (a few kills, in CI) and bench/reliability
 * (many): an operation is started through the berth CLI, berthd is killed with SIGKILL at a seeded
 * random moment inside the operation's measured duration, restarted on the same data root, and then
 * judged: the store check finds nothing, what the operation made is either whole or absent, its
 * retry succeeds, and the sentinel container that ran all along still runs.
 */

/** mulberry32: a small seeded generator, so a failing kill point can be replayed with its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface CrashCtx {
  d: TestDaemon;
  /** A fresh suffix per attempt, so names never collide with what an earlier kill left. */
  n: number;
}

export interface CrashOp {
  name: string;
  /** Makes what the operation needs (not timed, not killed). */
  prepare?(c: CrashCtx): Promise<void>;
  /** The operation itself, as a child process (berth or docker CLI) that the kill interrupts. */
  run(c: CrashCtx): Promise<RunResult>;
  /** What to kill: berthd (default), or a helper process of the operation (conmon, runc). */
  victim?: 'berthd' | 'runc' | 'none';
  /** After the restart: faults in what the operation left (whole or absent). */
  judge(c: CrashCtx): Promise<string[]>;
  /** The operation's own retry; must succeed. */
  retry(c: CrashCtx): Promise<RunResult>;
  /** Removes what the attempt made, for the next one. */
  reset(c: CrashCtx): Promise<void>;
}

export interface CrashFigures {
  seed: number;
  operations: number;
  kills: number;
  /** kills that landed while the operation was still running (the rest after it had finished) */
  inFlight: number;
  faults: string[];
}

/** The store check through the API: each fault in words. */
export async function storeFaults(d: TestDaemon): Promise<string[]> {
  const r = await d.api('POST', '/system/check');
  if (r.status !== 200) return [`system check answered ${r.status}: ${r.body.slice(0, 300)}`];
  const faults = (r.json as { Faults?: { Kind: string; Object: string; Message: string }[] }).Faults ?? [];
  return faults.map((f) => `${f.Kind} ${f.Object}: ${f.Message}`);
}

/** An error a user should never see: a stack, a Node internal, a raw errno, a data-root path. */
export function uncleanError(d: TestDaemon, text: string): string | undefined {
  if (/\n\s+at .+\(.*:\d+:\d+\)/.test(text)) return 'a stack trace';
  if (/\bE[A-Z]{3,}: [a-z]/.test(text)) return 'a raw errno';
  if (text.includes(d.dataRoot)) return 'a path inside the data root';
  if (/The value of "|ERR_[A-Z_]+|Cannot read properties/.test(text)) return 'a Node internal message';
  return undefined;
}

function pidsOf(match: (cmd: string) => boolean): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (match(cmd)) out.push(Number(p));
  }
  return out;
}

/** conmon's pid for one container (its command line names the container id). */
export function conmonOf(id: string): number | undefined {
  return pidsOf((c) => /(^|\/)conmon /.test(c) && c.includes(id))[0];
}

/** Kills any runc this daemon runs (its --root is under the daemon's exec root) within `ms`; true if one was killed. */
async function killRunc(d: TestDaemon, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const pids = pidsOf((c) => /(^|\/)runc /.test(c) && / create /.test(c) && c.includes(d.dir));
    if (pids.length) {
      for (const p of pids) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      return true;
    }
    await sleep(1);
  }
  return false;
}

export interface Sentinel {
  id: string;
  pid: number;
}

export async function startSentinel(d: TestDaemon): Promise<Sentinel> {
  const r = await d.berth(['run', '-d', '--name', 'crash-sentinel', 'busybox', 'sleep', '100000']);
  if (r.code !== 0) throw new Error(`sentinel did not start: ${r.stderr}`);
  const id = r.stdout.trim();
  const pid = Number((await d.berth(['inspect', '-f', '{{.State.Pid}}', id])).stdout.trim());
  return { id, pid };
}

async function sentinelFaults(d: TestDaemon, s: Sentinel): Promise<string[]> {
  const out: string[] = [];
  try {
    process.kill(s.pid, 0);
  } catch {
    out.push('the sentinel container\'s process died with berthd');
  }
  const r = await d.berth(['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', s.id]);
  if (r.stdout.trim() !== `true ${s.pid}`) out.push(`the sentinel container is reported as "${r.stdout.trim()}${r.stderr.trim()}", not running as ${s.pid}`);
  return out;
}

/**
 * Tries each operation `killsPerOp` times. Each attempt: prepare, time nothing (the first attempt
 * of each op runs undisturbed to measure it), start it, kill at a seeded moment in [0, 1.2 x its
 * duration], restart berthd, judge, retry, reset. Returns the figures; faults are collected, not thrown.
 */
export async function crashSuite(d: TestDaemon, ops: CrashOp[], killsPerOp: number, seed: number, log: (s: string) => void = console.log): Promise<CrashFigures> {
  const rand = seeded(seed);
  const fig: CrashFigures = { seed, operations: ops.length, kills: 0, inFlight: 0, faults: [] };
  const sentinel = await startSentinel(d);
  let n = 0;
  for (const op of ops) {
    // The undisturbed run: its duration bounds the kill points, and it must work at all.
    const c0: CrashCtx = { d, n: n++ };
    await op.prepare?.(c0);
    const t0 = Date.now();
    const base = await op.run(c0);
    let took = Math.max(20, Date.now() - t0);
    if (base.code !== 0) {
      fig.faults.push(`${op.name}: fails without any kill: ${base.stderr.trim().slice(0, 300)}`);
      await op.reset(c0).catch(() => undefined);
      continue;
    }
    await op.reset(c0);
    for (let k = 0; k < killsPerOp; k++) {
      const c: CrashCtx = { d, n: n++ };
      const at = Math.floor(rand() * took * 1.2);
      const where = `${op.name} killed at ${at} ms of ~${took} ms (seed ${seed})`;
      const fault = (s: string): void => {
        fig.faults.push(`${where}: ${s}`);
        log(`  FAULT ${where}: ${s}`);
      };
      try {
        await op.prepare?.(c);
        const started = Date.now();
        const running = op.run(c);
        let done = false;
        void running.then(() => {
          done = true;
          // A later run is often quicker than the first (warm threads, caches): kill points follow it.
          took = Math.max(20, Math.min(took, Date.now() - started));
        });
        let how = '';
        if (op.victim === 'runc') {
          const hit = await killRunc(d, took * 3);
          if (hit) fig.inFlight++;
          how = hit ? 'runc create killed' : 'no runc create seen to kill';
        } else if (op.victim === 'none') {
          fig.inFlight++;
          how = 'killed by the operation';
        } else {
          await sleep(at);
          if (!done) fig.inFlight++;
          how = done ? `berthd killed at ${at} ms, after the operation ended` : `berthd killed at ${at} ms, mid-operation`;
          await d.crash();
        }
        fig.kills++;
        const res = await running;
        if (res.code !== 0) {
          const bad = uncleanError(d, res.stderr);
          if (bad) fault(`the interrupted operation's error shows ${bad}: ${res.stderr.trim().slice(0, 300)}`);
        }
        if (!op.victim || op.victim === 'berthd') await d.spawn();
        for (const f of await storeFaults(d)) fault(`store check: ${f}`);
        for (const f of await op.judge(c)) fault(f);
        for (const f of await sentinelFaults(d, sentinel)) fault(f);
        const again = await op.retry(c);
        if (again.code !== 0) fault(`the retry failed: ${again.stderr.trim().slice(0, 300)}`);
        for (const f of await storeFaults(d)) fault(`store check after the retry: ${f}`);
        log(`  ${op.name}: ${how} -> judged in ${Date.now() - started} ms`);
      } catch (e) {
        fault(`the suite itself failed: ${(e as Error).message}`);
        if (!(await d.ping())) await d.spawn().catch(() => undefined);
      }
      await op.reset(c).catch((e: Error) => fault(`reset failed: ${e.message}`));
      // Each attempt is judged on its own: what the reset leaves is a fault of this attempt, and
      // the repair keeps one fault from being counted again by every attempt after it.
      const left = await storeFaults(d);
      for (const f of left) fault(`store check after the reset: ${f}`);
      if (left.length) await d.api('POST', '/system/check?repair=1');
    }
  }
  await d.berth(['rm', '-f', sentinel.id]);
  return fig;
}

/** Faults a container's remains show after a kill: listed but not removable, mounted while gone. */
export async function containerFaults(d: TestDaemon, name: string): Promise<string[]> {
  const r = await d.berth(['inspect', '-f', '{{.Id}} {{.State.Status}}', name]);
  if (r.code !== 0) return [];
  const [id = '', status = ''] = r.stdout.trim().split(' ');
  const out: string[] = [];
  if (!['created', 'running', 'exited'].includes(status)) out.push(`container ${name} is left ${status}`);
  if (status === 'running') {
    const pid = Number((await d.berth(['inspect', '-f', '{{.State.Pid}}', id])).stdout.trim());
    try {
      process.kill(pid, 0);
    } catch {
      out.push(`container ${name} is reported running but its process ${pid} is gone`);
    }
  }
  return out;
}

/** Mounts under the data root's containers folder for containers that no longer exist. */
export async function strayContainerMounts(d: TestDaemon): Promise<string[]> {
  const ids = new Set((await d.berth(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean));
  return (await leftoverMounts(`${d.dataRoot}/containers/`)).filter((m) => ![...ids].some((id) => m.includes(id)));
}
