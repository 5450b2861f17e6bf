import type { Readable } from 'node:stream';
import type { ExecOptions, ExecProcess } from '../../core/runtime/index.js';
import type { ContainerRecord, ContainerStore, HealthLogEntry, HealthSpec, HealthState } from '../../core/metadata/index.js';
import type { HealthConfig } from '../../oci/index.js';

/** An image config's healthcheck (the image format's own keys; durations in nanoseconds, 0: the default), read by oci's imageHealth. */
export type ImageHealthcheck = HealthConfig;

export type { HealthLogEntry, HealthState } from '../../core/metadata/index.js';

const NS_PER_MS = 1_000_000;
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

/** The request's healthcheck over the image's, as Docker merges them (unset fields from the image). */
export function mergeHealth(image: HealthSpec | undefined, req: HealthSpec | undefined): HealthSpec | undefined {
  if (!image && !req) return undefined;
  const out: HealthSpec = { ...(image ?? {}) };
  for (const [k, v] of Object.entries(req ?? {})) if (v !== undefined && v !== 0 && !(Array.isArray(v) && v.length === 0)) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** The command a check runs, or undefined when there is none (no test, or NONE). */
export function healthCommand(h: HealthSpec | undefined): string[] | undefined {
  const t = h?.test;
  if (!t || t.length === 0 || t[0] === 'NONE') return undefined;
  if (t[0] === 'CMD') return t.slice(1);
  if (t[0] === 'CMD-SHELL') return ['/bin/sh', '-c', t.slice(1).join(' ')];
  return t;
}

/** Docker's state machine: healthy at the first success, unhealthy after `retries` failures in a row (failures in the start period do not count). */
export function recordResult(state: HealthState, h: HealthSpec, entry: HealthLogEntry, inStartPeriod: boolean): HealthState {
  const log = [...state.log, entry].slice(-MAX_LOG);
  if (entry.exitCode === 0) return { status: 'healthy', failingStreak: 0, log };
  if (inStartPeriod && state.status === 'starting') return { ...state, log };
  const streak = state.failingStreak + 1;
  const retries = h.retries && h.retries > 0 ? h.retries : DEFAULT_RETRIES;
  return { status: streak >= retries ? 'unhealthy' : state.status, failingStreak: streak, log };
}

async function collect(stream: Readable, limit: number): Promise<string> {
  let out = '';
  for await (const c of stream) {
    if (out.length < limit) out += (c as Buffer).toString();
  }
  return out.slice(0, limit);
}

/**
 * Runs one container's healthcheck every interval while it runs. `exec` runs a process inside
 * the container; `report` receives each new state.
 */
export class HealthMonitor {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #started = Date.now();

  constructor(
    private readonly h: HealthSpec,
    private state: HealthState,
    private readonly exec: (opts: ExecOptions) => Promise<ExecProcess>,
    private readonly report: (s: HealthState) => void,
  ) {}

  start(): void {
    this.#schedule(this.h.startIntervalNs && this.#inStart() ? this.h.startIntervalNs / NS_PER_MS : this.#interval());
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #interval(): number {
    return this.h.intervalNs ? this.h.intervalNs / NS_PER_MS : DEFAULT_INTERVAL_MS;
  }

  #inStart(): boolean {
    return Date.now() - this.#started < (this.h.startPeriodNs ?? 0) / NS_PER_MS;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#probe(), ms);
    this.#timer.unref();
  }

  async #probe(): Promise<void> {
    const cmd = healthCommand(this.h);
    if (!cmd || this.#stopped) return;
    const start = new Date();
    const timeoutMs = this.h.timeoutNs ? this.h.timeoutNs / NS_PER_MS : DEFAULT_TIMEOUT_MS;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    let entry: HealthLogEntry;
    try {
      const p = await this.exec({ args: cmd, signal: ac.signal });
      const [out, err, res] = await Promise.all([collect(p.stdout, MAX_OUTPUT), collect(p.stderr, MAX_OUTPUT), p.wait()]);
      entry = ac.signal.aborted
        ? { start: start.toISOString(), end: new Date().toISOString(), exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` }
        : { start: start.toISOString(), end: new Date().toISOString(), exitCode: res.exitCode, output: (out + err).slice(0, MAX_OUTPUT) };
    } catch (e) {
      entry = { start: start.toISOString(), end: new Date().toISOString(), exitCode: -1, output: e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timer);
    }
    if (this.#stopped) return;
    const inStart = this.#inStart();
    this.state = recordResult(this.state, this.h, entry, inStart);
    this.report(this.state);
    this.#schedule(inStart && this.h.startIntervalNs ? this.h.startIntervalNs / NS_PER_MS : this.#interval());
  }
}

/**
 * The health monitors of the running containers: each result lands in the stored record's
 * State.Health, and a change of status is published as Docker's `health_status: …` event.
 */
export class HealthChecks {
  readonly #monitors = new Map<string, HealthMonitor>();

  constructor(
    private readonly store: ContainerStore,
    private readonly exec: (id: string, opts: ExecOptions) => Promise<ExecProcess>,
    private readonly publish: (rec: ContainerRecord, action: string) => void,
  ) {}

  /** (Re)starts the container's checks; nothing without a healthcheck. */
  start(rec: ContainerRecord): void {
    this.stop(rec.id);
    const h = rec.spec.lifecycle.healthcheck;
    if (!h || !healthCommand(h)) return;
    const initial = { status: 'starting' as const, failingStreak: 0, log: [] };
    if (!rec.state.health) {
      rec.state.health = initial;
      this.store.update(rec);
    }
    const monitor = new HealthMonitor(h, initial, (opts) => this.exec(rec.id, opts), (state) => {
      const now = this.store.get(rec.id);
      if (!now || (now.state.status !== 'running' && now.state.status !== 'paused')) return;
      const changed = now.state.health?.status !== state.status;
      now.state.health = state;
      this.store.update(now);
      if (changed) this.publish(now, `health_status: ${state.status}`);
    });
    this.#monitors.set(rec.id, monitor);
    monitor.start();
  }

  stop(id: string): void {
    this.#monitors.get(id)?.stop();
    this.#monitors.delete(id);
  }
}
