import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Conflict, InvalidArgument, NotFound } from '../../errdefs/index.js';
import { writeFileAtomic } from '../../util/index.js';
import { launchConmon } from './conmon.js';
import { LogRotationWatch, prepareLogForStart } from './log-files.js';
import { reserveLogTail } from './log-reserve.js';
import type { LogRotation } from './log-files.js';
import { aliveConmonPid, containerDirExists, readExitFile, waitExitFile } from './exit.js';
import { containerPaths, containersDir, isValidId, runcRoot } from './paths.js';
import type { ContainerPaths } from './paths.js';
import { runc } from './runc.js';
import type { RuncOptions } from './runc.js';
import { normalizeSignal } from './signals.js';
import { readRuncState } from './state.js';
import { deleteStopped, startCreated } from './runc-direct.js';
import { STOCK_RUNTIME, isRunc } from './oci-runtimes.js';
import type { OciRuntime } from './oci-runtimes.js';
import type { RuntimeStatus } from './state.js';
import { generateSpec, resolveCapabilities } from './spec.js';
import type { ContainerResources, ContainerSpecInput, HostInfo } from './spec.js';
import { detectHostInfo } from './spec.js';
import { openStdinStream } from './stdin.js';
import { runcExec } from './exec.js';
import type { ExecOptions, ExecProcess } from './exec.js';
import { criuError, requireCriu, runcCheckpoint, type CheckpointOptions } from './checkpoint.js';


export interface Runtime {
  /** Writes config.json, starts conmon (which runs `runc create`), waits on the sync pipe. Returns the container's host pid. */
  create(spec: ContainerSpecInput, opts: CreateOptions): Promise<{ pid: number }>;
  /** After a berthd restart: keeps rotating the log of a container that ran on meanwhile. */
  watchLog(id: string, logPath: string, rotation: LogRotation): void;
  start(id: string, signal?: AbortSignal): Promise<void>;
  kill(id: string, signal: string | number): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
  state(id: string): Promise<{ status: RuntimeStatus; pid: number } | null>;
  waitExit(id: string, signal?: AbortSignal): Promise<{ exitCode: number; exitedAt: Date; oomKilled: boolean }>;
  exitStatus(id: string): Promise<{ exitCode: number; exitedAt: Date } | null>;
  attachStdin(id: string): Promise<Writable>;
  list(): Promise<string[]>;
  /** docker update: new cgroup limits for a running container. */
  update(id: string, resources: ContainerResources): Promise<void>;
  /** docker exec: runs a process in the running container; resolves once it runs. */
  exec(id: string, opts: ExecOptions): Promise<ExecProcess>;
  /** docker checkpoint create: CRIU saves the running container's processes; they end unless leaveRunning. */
  checkpoint(id: string, opts: CheckpointOptions): Promise<void>;
}

export interface CreateOptions {
  logPath: string;
  /** Size cap and files kept; without it the log grows unbounded. */
  logRotation?: LogRotation | undefined;
  /** A checkpoint's folder to restore from: the container runs when create returns (no start). */
  restoreFrom?: string | undefined;
  signal?: AbortSignal;
}

export interface RuntimeOptions {
  /** e.g. /run/berth/runtime: runc --root, conmon pid/exit/persist files. Keep it short-ish. */
  stateDir: string;
  runtimePath?: string | undefined;
  conmonPath?: string | undefined;
  /** Host limits; read from /proc/self/limits on first create when absent. */
  host?: HostInfo | undefined;
  /** Failures in background work (log rotation) that no request waits for. */
  log?: (msg: string, err?: unknown) => void;
}

export function createRuntime(opts: RuntimeOptions): Runtime {
  return new RuncConmonRuntime(opts);
}

class RuncConmonRuntime implements Runtime {
  readonly #stateDir: string;
  readonly #runc: RuncOptions;
  readonly #conmonPath: string;
  #host: HostInfo | undefined;
  readonly #log: (msg: string, err?: unknown) => void;
  readonly #logWatches = new Map<string, LogRotationWatch>();
  /** Each container's runtime, as its create recorded it (runtime.json beside conmon's files). */
  readonly #runtimeOf = new Map<string, RuncOptions>();

  constructor(opts: RuntimeOptions) {
    this.#stateDir = opts.stateDir;
    this.#runc = { runtimePath: opts.runtimePath ?? '/usr/sbin/runc', root: runcRoot(opts.stateDir), runcStateFiles: true };
    this.#conmonPath = opts.conmonPath ?? '/usr/bin/conmon';
    this.#host = opts.host;
    this.#log = opts.log ?? (() => undefined);
  }

  /** runc under its usual root; any other runtime (or runc under another name) under a root of its own. */
  #optionsFor(rt: OciRuntime | undefined): RuncOptions {
    if (!rt || (rt.name === STOCK_RUNTIME && rt.args.length === 0)) return this.#runc;
    return { runtimePath: rt.path, root: join(this.#stateDir, 'runtimes', rt.name), globalArgs: rt.args, runcStateFiles: isRunc(rt) };
  }

  /** The runtime a container was created with; a container an older berth made (no file) ran with runc. */
  async #rt(id: string): Promise<RuncOptions> {
    const known = this.#runtimeOf.get(id);
    if (known) return known;
    const text = await readFile(join(this.#paths(id).dir, 'runtime.json'), 'utf8').catch(() => '');
    let rt: RuncOptions = this.#runc;
    if (text) {
      const j = JSON.parse(text) as RuncOptions;
      rt = { runtimePath: j.runtimePath, root: j.root, globalArgs: j.globalArgs ?? [], runcStateFiles: j.runcStateFiles === true };
    }
    this.#runtimeOf.set(id, rt);
    return rt;
  }

  #paths(id: string): ContainerPaths {
    if (!isValidId(id)) throw new InvalidArgument(`invalid container id: ${JSON.stringify(id)}`);
    return containerPaths(this.#stateDir, id);
  }

  async create(input: ContainerSpecInput, opts: CreateOptions): Promise<{ pid: number }> {
    const paths = this.#paths(input.id);
    if (await containerDirExists(paths)) throw new Conflict(`container ${input.id} already exists in the runtime`);
    if (opts.restoreFrom !== undefined) await requireCriu();
    this.#host ??= await detectHostInfo(opts.signal);
    const spec = generateSpec(input, this.#host);
    const rt = this.#optionsFor(input.runtime);
    await mkdir(paths.exitDir, { recursive: true });
    await mkdir(paths.persistDir, { recursive: true });
    await mkdir(rt.root, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(paths.dir, 'runtime.json'), JSON.stringify(rt));
    this.#runtimeOf.set(input.id, rt);
    await mkdir(dirname(opts.logPath), { recursive: true });
    if (opts.logRotation) prepareLogForStart(opts.logPath, opts.logRotation.maxFile);
    reserveLogTail(opts.logPath);
    try {
      await writeFile(paths.bundleFile, input.bundleDir);
      await writeFileAtomic(join(input.bundleDir, 'config.json'), JSON.stringify(spec));
      const pid = await launchConmon({
        conmonPath: this.#conmonPath,
        runtimePath: rt.runtimePath,
        runcRoot: rt.root,
        runtimeArgs: rt.globalArgs ?? [],
        id: input.id,
        bundleDir: input.bundleDir,
        logPath: opts.logPath,
        logSizeMax: opts.logRotation?.maxSize,
        paths,
        stdin: input.openStdin,
        tty: input.tty,
        restore: opts.restoreFrom,
        ...(opts.signal ? { signal: opts.signal } : {}),
      }).catch(async (e: unknown) => {
        if (opts.restoreFrom === undefined) throw e;
        throw await criuError('restore', join(input.bundleDir, 'restore.log'), e instanceof Error ? e.message : String(e), e);
      });
      if (opts.logRotation) this.watchLog(input.id, opts.logPath, opts.logRotation);
      return { pid };
    } catch (e) {
      await this.#cleanup(input.id, paths, true).catch(() => undefined);
      throw e;
    }
  }

  watchLog(id: string, logPath: string, rotation: LogRotation): void {
    if (this.#logWatches.has(id)) return;
    this.#logWatches.set(id, new LogRotationWatch(logPath, rotation, (e) => this.#log(`log rotation of ${id}`, e)));
  }

  async start(id: string, signal?: AbortSignal): Promise<void> {
    await this.#requireKnown(id);
    const rt = await this.#rt(id);
    if (rt.runcStateFiles && (await startCreated(rt.root, id, signal))) return;
    await runc(rt, ['start', id], id, signal);
  }

  async kill(id: string, sig: string | number): Promise<void> {
    this.#paths(id);
    const name = normalizeSignal(sig);
    // One runc call: its refusals ("container not running", "does not exist") map to Conflict/NotFound.
    await runc(await this.#rt(id), ['kill', id, name], id);
  }

  async pause(id: string): Promise<void> {
    const st = await this.state(id);
    if (!st) throw new NotFound(`No such container: ${id}`);
    if (st.status === 'paused') throw new Conflict(`Container ${id} is already paused`);
    if (st.status !== 'running') throw new Conflict(`Container ${id} is not running`);
    await runc(await this.#rt(id), ['pause', id], id);
  }

  async update(id: string, r: ContainerResources): Promise<void> {
    const args = ['update'];
    if (r.memory !== undefined) args.push('--memory', String(r.memory));
    if (r.memorySwap !== undefined) args.push('--memory-swap', String(r.memorySwap));
    if (r.memoryReservation !== undefined) args.push('--memory-reservation', String(r.memoryReservation));
    if (r.cpuShares !== undefined) args.push('--cpu-share', String(r.cpuShares));
    if (r.cpuQuota !== undefined) args.push('--cpu-quota', String(r.cpuQuota));
    if (r.cpuPeriod !== undefined) args.push('--cpu-period', String(r.cpuPeriod));
    if (r.cpusetCpus !== undefined) args.push('--cpuset-cpus', r.cpusetCpus);
    if (r.cpusetMems !== undefined) args.push('--cpuset-mems', r.cpusetMems);
    if (r.pidsLimit !== undefined) args.push('--pids-limit', String(r.pidsLimit));
    if (r.cpuRealtimePeriod !== undefined) args.push('--cpu-rt-period', String(r.cpuRealtimePeriod));
    if (r.cpuRealtimeRuntime !== undefined) args.push('--cpu-rt-runtime', String(r.cpuRealtimeRuntime));
    if (r.blockIO?.weight !== undefined) args.push('--blkio-weight', String(r.blockIO.weight));
    if (args.length === 1) return;
    await runc(await this.#rt(id), [...args, id], id);
  }

  async resume(id: string): Promise<void> {
    const st = await this.state(id);
    if (!st) throw new NotFound(`No such container: ${id}`);
    if (st.status !== 'paused') throw new Conflict(`Container ${id} is not paused`);
    await runc(await this.#rt(id), ['resume', id], id);
  }

  async delete(id: string, opts?: { force?: boolean }): Promise<void> {
    const paths = this.#paths(id);
    const st = await this.state(id);
    if (!st && !(await containerDirExists(paths))) throw new NotFound(`No such container: ${id}`);
    if (st && st.status !== 'stopped' && st.status !== 'created' && !opts?.force) {
      throw new Conflict(`cannot delete container ${id}: it is ${st.status}; stop it first or force the removal`);
    }
    await this.#cleanup(id, paths, true);
  }

  /** runc delete (berthd's own for a plain stopped container), then wait for conmon to finish writing its exit file and leave, then remove our files. */
  async #cleanup(id: string, paths: ContainerPaths, force: boolean): Promise<void> {
    try {
      const rt = await this.#rt(id);
      if (!(rt.runcStateFiles && (await deleteStopped(rt.root, id)))) await runc(rt, force ? ['delete', '--force', id] : ['delete', id], id);
    } catch (e) {
      if (!(e instanceof NotFound)) throw e;
    }
    for (let i = 0; i < 100; i++) {
      if ((await aliveConmonPid(paths)) === null) break;
      await sleep(20);
    }
    const left = await aliveConmonPid(paths);
    if (left !== null) {
      try {
        process.kill(left, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    const watch = this.#logWatches.get(id);
    this.#logWatches.delete(id);
    watch?.close();
    const bundle = await readFile(paths.bundleFile, 'utf8').catch(() => '');
    // conmon's sockets and FIFOs live in the bundle dir; config.json stays with its owner.
    if (bundle) await Promise.all(['attach', 'ctl', 'winsz', 'oom'].map((f) => rm(join(bundle, f), { force: true })));
    await rm(paths.dir, { recursive: true, force: true });
    this.#runtimeOf.delete(id);
  }

  async #requireKnown(id: string): Promise<ContainerPaths> {
    const paths = this.#paths(id);
    if (!(await containerDirExists(paths))) throw new NotFound(`No such container: ${id}`);
    return paths;
  }

  async state(id: string): Promise<{ status: RuntimeStatus; pid: number } | null> {
    const paths = this.#paths(id);
    const rt = await this.#rt(id);
    const fast = rt.runcStateFiles ? await readRuncState(rt.root, id) : undefined;
    if (fast) return fast;
    if (fast === null) return (await readExitFile(paths)) ? { status: 'stopped', pid: 0 } : null;
    let out: string;
    try {
      out = await runc(rt, ['state', id], id);
    } catch (e) {
      if (e instanceof NotFound) {
        // runc forgot it (e.g. after a reboot) but conmon recorded how it ended.
        return (await readExitFile(paths)) ? { status: 'stopped', pid: 0 } : null;
      }
      throw e;
    }
    const j = JSON.parse(out) as { status?: string; pid?: number };
    const status = (['created', 'running', 'paused', 'stopped'] as const).find((s) => s === j.status) ?? 'stopped';
    return { status, pid: status === 'stopped' ? 0 : (j.pid ?? 0) };
  }

  async waitExit(id: string, signal?: AbortSignal): Promise<{ exitCode: number; exitedAt: Date; oomKilled: boolean }> {
    return waitExitFile(this.#paths(id), id, signal);
  }

  async exitStatus(id: string): Promise<{ exitCode: number; exitedAt: Date } | null> {
    return readExitFile(this.#paths(id));
  }

  async attachStdin(id: string): Promise<Writable> {
    const paths = await this.#requireKnown(id);
    const bundle = await readFile(paths.bundleFile, 'utf8');
    return openStdinStream(join(bundle, 'attach'), id);
  }

  async exec(id: string, opts: ExecOptions): Promise<ExecProcess> {
    const paths = await this.#requireKnown(id);
    const rt = await this.#rt(id);
    if (!opts.privileged) return runcExec(rt, paths.dir, id, opts);
    this.#host ??= await detectHostInfo(opts.signal);
    return runcExec(rt, paths.dir, id, opts, resolveCapabilities({ privileged: true }, this.#host));
  }

  async checkpoint(id: string, opts: CheckpointOptions): Promise<void> {
    const paths = await this.#requireKnown(id);
    await runcCheckpoint(await this.#rt(id), id, join(paths.dir, 'checkpoint-work'), opts);
  }

  async list(): Promise<string[]> {
    try {
      return (await readdir(containersDir(this.#stateDir))).filter(isValidId).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }
}
