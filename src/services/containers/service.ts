import { AsyncLocalStorage } from 'node:async_hooks';
import type { Writable } from 'node:stream';
import type { LogEntry } from '../../core/runtime/index.js';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { CannotInvoke, CommandNotFound, Conflict, Internal, NotFound, NotImplemented, NotModified, Unavailable } from '../../errdefs/index.js';
import type { ContainerRecord, ContainerSpec, ContainerStore, LifecycleSpec, ResourceSpec } from '../../core/metadata/index.js';
import { normalizeSignal, unmountShm, type SeccompProfile } from '../../core/runtime/index.js';
import type { EventBus } from '../../core/events/index.js';
import { validateName, type CreateInput } from './create-record.js';
import { nextBackoff, shouldRestart, startsWithDaemon } from './restart-policy.js';
import { cgroupResources } from './resources.js';
import type { DeviceDeps } from './devices.js';
import { HealthChecks } from './health.js';
import type { IdMapping } from '../../util/index.js';
import type { ContainerRuntime, ImageLookup, LogReadOptions, NetworkAttacher, RootfsProvider } from './ports.js';
import { stepTrace } from './trace.js';
import { pruneStopped } from './prune.js';
import { destroy } from './destroy.js';
import { makeContainer, planContainer } from './create-plan.js';
import { settleInterrupted } from './interrupted.js';
import { eventSignal, settlesWithin, sleep } from './timing.js';
import { DEFAULT_LOG_DRIVER, logRotationOf } from './log-options.js';
import { inspectLogPath, LogForwarders, readDriverLog } from './log-forwarder.js';
import { logDriverReadable } from './log-drivers.js';
import type { ContainerMountPlanner } from './mounts.js';
import { nextExit, recordExitLater, type ContainerEvents } from './exits.js';
import { launch } from './launch.js';
import { updatedResources, type NamespaceDefaults } from './namespaces.js';
import { resolveLinkName } from './links.js';

export interface ContainerServiceDeps extends DeviceDeps {
  store: ContainerStore;
  images: ImageLookup;
  rootfs: RootfsProvider;
  runtime: ContainerRuntime;
  /** <data-root>/containers: one folder per container (rootfs mount point, bundle, log, etc files). */
  containersDir: string;
  log: (msg: string, err?: unknown) => void;
  /** Where the timed steps of each start and exit go (BERTH_TRACE=1); none when absent. */
  trace?: (line: string) => void;
  /** Engine events (docker events); optional so the service runs without a listener. */
  bus?: EventBus;
  /** Volumes, binds and tmpfs mounts; without it a container has only its rootfs. */
  mounts?: ContainerMountPlanner;
  /** daemon --userns-remap: new containers run in a user namespace with this mapping. */
  userns?: IdMapping;
  /** dockerd --seccomp-profile: the profile of containers that name none; absent = berth's built-in one. */
  seccompProfile?: SeccompProfile | 'unconfined';
  /** Networks; without it containers get `none` or `host` only. */
  network?: NetworkAttacher;
  /** The daemon's log-opts (daemon.json, --log-opt), under each container's own; berth's default otherwise. */
  logOpts?: Record<string, string>;
  /** default-cgroupns-mode and what the host's cgroups can enforce. */
  namespaces?: NamespaceDefaults;
  /** The daemon's log driver (`--log-driver`, daemon.json `log-driver`); json-file when unset. */
  logDriver?: string;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** The store namespace lookups in this async context see ('' = Docker's); set by `inNamespace`. */
const scope = new AsyncLocalStorage<string>();

/**
 * The container use cases: create, start, stop, kill, pause, remove, wait; and the exit monitor
 * that keeps records true while conmon supervises the processes.
 */
export class ContainerService {
  readonly events: ContainerEvents = new EventEmitter();
  readonly #monitored = new Set<string>();
  readonly #locks = new Map<string, Promise<unknown>>();
  /** Pending automatic restarts and each container's current back-off. */
  readonly #restartTimers = new Map<string, NodeJS.Timeout>();
  readonly #backoff = new Map<string, number>();
  readonly #health: HealthChecks;
  readonly #logs: LogForwarders;

  constructor(readonly deps: ContainerServiceDeps) {
    this.events.setMaxListeners(0);
    this.#logs = new LogForwarders((what, e) => deps.log(what, e));
    this.#health = new HealthChecks(deps.store, (id, opts) => deps.runtime.exec(id, opts), (rec, action) => this.#publish(rec, action));
  }

  /** Publishes a container event with Docker's attributes: image, name and the labels. */
  #publish(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    // The engine's events are the Engine API's: another namespace's containers (CRI pods) stay out of them.
    if (rec.namespace) return;
    this.deps.bus?.publish('container', action, rec.id, { ...rec.spec.labels, image: rec.spec.rootfs.image, name: rec.name, ...extra });
  }

  dir(id: string): string {
    return join(this.deps.containersDir, id);
  }
  logPath(id: string): string {
    return this.deps.store.get(id)?.spec.logging.path ?? join(this.dir(id), 'container.log');
  }

  /** Runs `fn` with lookups and lists confined to `namespace` (see `scope`). */
  inNamespace<T>(namespace: string, fn: () => T): T {
    return scope.run(namespace, fn);
  }
  rootfsPath(id: string): string {
    return join(this.dir(id), 'rootfs');
  }

  /** The container's output as conmon captured it (by id), as `attach` and the build read it. */
  readLogs(id: string, opts: LogReadOptions): AsyncIterable<LogEntry> {
    return this.deps.runtime.readLogs(this.logPath(id), opts);
  }

  /** inspect's LogPath: json-file's `<id>-json.log`, k8s-file's conmon log, '' for the others (as dockerd, local's too). */
  driverLogPath(rec: ContainerRecord): string {
    return inspectLogPath(rec, this.dir(rec.id), this.logPath(rec.id));
  }

  /** The log driver of containers created without one (`docker info`'s LoggingDriver). */
  defaultLogDriver(): string {
    return this.deps.logDriver ?? DEFAULT_LOG_DRIVER;
  }

  /** Throws dockerd's words (logger.ErrReadLogsNotSupported, 501) for a driver that keeps nothing to read back. */
  assertLogsReadable(rec: ContainerRecord): void {
    if (!logDriverReadable(rec.spec.logging.driver)) throw new NotImplemented('configured logging driver does not support reading');
  }

  /** `docker logs`: what the container's log driver kept, for the drivers that read back. */
  containerLogs(rec: ContainerRecord, opts: LogReadOptions): AsyncIterable<LogEntry> {
    this.assertLogsReadable(rec);
    return readDriverLog(rec, this.dir(rec.id), opts, (o) => this.readLogs(rec.id, o));
  }

  /** A writer to the stdin of the container's process (by id), kept open by its monitor. */
  attachStdin(id: string): Promise<Writable> {
    return this.deps.runtime.attachStdin(id);
  }

  /** By id, id prefix, name, or link name (`parent/alias`), as dockerd finds containers. */
  get(idOrName: string): ContainerRecord {
    let rec: ContainerRecord;
    try {
      rec = this.deps.store.resolve(idOrName);
    } catch (e) {
      if (e instanceof NotFound && idOrName.replace(/^\/+/, '').includes('/')) return this.resolveLink(idOrName).target;
      throw e;
    }
    if ((rec.namespace ?? '') !== (scope.getStore() ?? '')) throw new NotFound(`No such container: ${idOrName}`);
    return rec;
  }

  list(): ContainerRecord[] {
    const ns = scope.getStore() ?? '';
    return this.deps.store.list().filter((c) => (c.namespace ?? '') === ns);
  }

  /** Runs `fn` under the container's lock (network connect/disconnect change a record too). */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.#locked(id, fn);
  }

  /** Serializes state changes per container: a stop racing a start or a remove sees a settled state. */
  async #locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(id) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(fn);
    this.#locks.set(id, run);
    try {
      return await run;
    } finally {
      if (this.#locks.get(id) === run) this.#locks.delete(id);
    }
  }

  async create(input: CreateInput): Promise<ContainerRecord> {
    if (input.namespace === undefined && scope.getStore()) input = { ...input, namespace: scope.getStore() as string };
    const rec = await planContainer(this.deps, input, (x) => this.get(x));
    await makeContainer(this.deps, rec, { dir: this.dir(rec.id), log: this.logPath(rec.id), rootfs: this.rootfsPath(rec.id) }, !input.name);
    this.#publish(rec, 'create');
    return rec;
  }

  /** `restoreFrom`: a checkpoint's folder (see checkpoints.ts) that the process is restored from instead of started. */
  async start(idOrName: string, opts: { restoreFrom?: string } = {}): Promise<void> {
    const rec0 = this.get(idOrName);
    await this.#locked(rec0.id, async () => {
      const rec = this.get(rec0.id);
      if (rec.state.status === 'paused') throw new Conflict('cannot start a paused container, try unpause instead');
      if (rec.state.status === 'running') throw new NotModified('container already started');
      if (rec.state.status === 'removing' || rec.state.status === 'dead') throw new Conflict(`container ${rec.id} is marked for removal and cannot be started`);
      this.#cancelRestart(rec.id);
      rec.manuallyStopped = false;
      await this.#startLocked(rec, opts.restoreFrom);
    });
  }

  async #startLocked(rec: ContainerRecord, restoreFrom?: string): Promise<void> {
    const { runtime } = this.deps;
    const rootfs = this.rootfsPath(rec.id);
    const trace = stepTrace(this.deps.trace, `start ${rec.id.slice(0, 12)}`);
    // A runtime state left over from an earlier run (e.g. a crash) would make `runc create` fail.
    await runtime.delete(rec.id, { force: true }).catch(() => undefined);
    trace.mark('old runtime state');
    const mounts = await this.deps.rootfs.prepare(rec.id, rec.layers, rootfs);
    await this.deps.rootfs.unmount(rootfs).catch(() => undefined);
    await this.deps.rootfs.mount(mounts);
    trace.mark('rootfs mounted');
    try {
      // The driver is opened first (a syslog collector that is not there fails the start) and takes the lines of this run.
      await this.#logs.start(rec, this.dir(rec.id), (o) => this.readLogs(rec.id, o), new Date());
      await launch(this.deps, rec, { dir: this.dir(rec.id), rootfs, log: this.logPath(rec.id) }, trace, restoreFrom);
    } catch (e) {
      await this.#logs.stop(rec.id);
      const code = e instanceof CommandNotFound ? 127 : e instanceof CannotInvoke ? 126 : 128;
      rec.state = { ...rec.state, status: rec.state.status === 'exited' ? 'exited' : 'created', exitCode: code, error: e instanceof Error ? e.message : String(e), pid: 0 };
      this.deps.store.update(rec);
      // As Docker does: an auto-remove container that cannot start is removed (clients wait for it).
      if (rec.spec.lifecycle.autoRemove) setImmediate(() => void this.remove(rec.id, { force: true, volumes: true }).catch((err: unknown) => this.deps.log(`auto-remove ${rec.id}`, err)));
      throw e;
    }
    const st = await runtime.state(rec.id);
    rec.state = {
      status: 'running',
      pid: st?.pid ?? 0,
      exitCode: 0,
      oomKilled: false,
      error: '',
      startedAt: new Date().toISOString(),
      finishedAt: rec.state.finishedAt,
    };
    this.deps.store.update(rec);
    trace.mark('recorded');
    this.events.emit('start', rec.id);
    this.#publish(rec, 'start');
    this.#health.start(rec);
    this.#monitor(rec.id);
    trace.end();
  }

  /** Follows one running container until it exits, then records the exit. Idempotent. */
  #monitor(id: string): void {
    if (this.#monitored.has(id)) return;
    this.#monitored.add(id);
    this.deps.runtime
      .waitExit(id)
      .then((exit) => this.#onExit(id, exit.exitCode, exit.exitedAt, exit.oomKilled))
      .catch((e: unknown) => this.deps.log(`exit monitor for ${id} failed`, e))
      .finally(() => this.#monitored.delete(id));
  }

  async #onExit(id: string, exitCode: number, exitedAt: Date, oomKilled: boolean): Promise<void> {
    this.#health.stop(id);
    const trace = stepTrace(this.deps.trace, `exit ${id.slice(0, 12)}`);
    // The last lines reach the driver (while the runtime cleans up) before the exit is reported, so `docker logs` after `wait` has them.
    const logsDrained = this.#logs.stop(id);
    await this.#locked(id, async () => {
      const rec = this.deps.store.get(id);
      if (!rec) return void (await logsDrained);
      trace.mark('exit seen');
      // The endpoints go while runc forgets the container and the rootfs is unmounted.
      await Promise.all([
        this.deps.runtime
          .delete(id, { force: true })
          .then(() => trace.mark('runtime deleted'))
          .catch((e: unknown) => this.deps.log(`runtime delete ${id}`, e))
          .then(() => this.deps.rootfs.unmount(this.rootfsPath(id)))
          .then(() => unmountShm(join(this.dir(id), 'shm')))
          .then(() => trace.mark('rootfs unmounted'))
          .catch((e: unknown) => this.deps.log(`unmount ${id}`, e)),
        this.deps.network
          ?.tearDown(rec)
          .then(() => trace.mark('network down'))
          .catch((e: unknown) => this.deps.log(`network teardown ${id}`, e)),
      ]);
      await logsDrained;
      // A stop may have come in while this exit was being handled: its mark must survive this write.
      if (this.deps.store.get(id)?.manuallyStopped) rec.manuallyStopped = true;
      this.deps.mounts?.unmounted(rec);
      rec.state = { ...rec.state, status: 'exited', pid: 0, exitCode, oomKilled, finishedAt: exitedAt.toISOString() };
      try {
        this.deps.store.update(rec);
      } catch (e) {
        // A full disk refuses the write: the exit is recorded once there is room, not lost.
        this.deps.log(`recording the exit of ${id}`, e);
        recordExitLater(this.deps.store, id, rec.state);
      }
    });
    trace.mark('recorded');
    trace.end();
    this.events.emit('exit', id, exitCode);
    const rec = this.deps.store.get(id);
    if (rec) this.#publish(rec, 'die', { exitCode: String(exitCode) });
    if (rec && oomKilled) this.#publish(rec, 'oom');
    if (rec && shouldRestart(rec, exitCode)) {
      this.#scheduleRestart(rec, Date.parse(rec.state.finishedAt) - Date.parse(rec.state.startedAt));
      return;
    }
    if (rec?.spec.lifecycle.autoRemove) {
      await this.remove(id, { force: true, volumes: true }).catch((e: unknown) => this.deps.log(`auto-remove ${id}`, e));
    }
  }

  /** Restarts by policy after Docker's growing back-off; status is 'restarting' meanwhile. */
  #scheduleRestart(rec: ContainerRecord, ranForMs: number): void {
    const delay = nextBackoff(this.#backoff.get(rec.id), ranForMs);
    this.#backoff.set(rec.id, delay);
    rec.state.status = 'restarting';
    this.deps.store.update(rec);
    const timer = setTimeout(() => {
      this.#restartTimers.delete(rec.id);
      void this.#locked(rec.id, async () => {
        const now = this.deps.store.get(rec.id);
        if (!now || now.state.status !== 'restarting') return;
        now.restartCount += 1;
        await this.#startLocked(now);
      }).catch((e: unknown) => this.deps.log(`restart of ${rec.id} by policy failed`, e));
    }, delay);
    timer.unref();
    this.#restartTimers.set(rec.id, timer);
  }

  #cancelRestart(id: string): void {
    const t = this.#restartTimers.get(id);
    if (t) clearTimeout(t);
    this.#restartTimers.delete(id);
  }

  /** Leaves a container that waits for its policy restart as exited, like a stop does. */
  #settleRestarting(rec: ContainerRecord): void {
    this.#cancelRestart(rec.id);
    rec.state.status = 'exited';
    this.deps.store.update(rec);
  }

  async stop(idOrName: string, opts: { timeout?: number | undefined; signal?: string | undefined } = {}): Promise<void> {
    let rec = this.get(idOrName);
    if (rec.state.status === 'restarting') {
      // A restart by policy may be starting it at this moment (networks make that take a while):
      // settle it under the lock, or else stop what that start made.
      const settled = await this.#locked(rec.id, async () => {
        const now = this.get(rec.id);
        if (now.state.status !== 'restarting') return false;
        now.manuallyStopped = true;
        this.#settleRestarting(now);
        return true;
      });
      if (settled) return;
      rec = this.get(rec.id);
    }
    // Only the mark is written, on the stored record: an exit being recorded meanwhile keeps its fields.
    const cur = this.deps.store.get(rec.id);
    if (cur && !cur.manuallyStopped) {
      cur.manuallyStopped = true;
      this.deps.store.update(cur);
    }
    if (rec.state.status !== 'running' && rec.state.status !== 'paused') throw new NotModified('container already stopped');
    await this.#terminate(rec, opts);
    this.#publish(rec, 'stop');
  }

  /** The stop signal, then SIGKILL after the timeout (negative: wait forever); resolves on exit. */
  async #terminate(rec: ContainerRecord, opts: { timeout?: number | undefined; signal?: string | undefined }): Promise<void> {
    const exited = nextExit(this.events, rec);
    const timeout = opts.timeout ?? rec.spec.lifecycle.stopTimeout ?? 10;
    if (rec.state.status === 'paused') await this.deps.runtime.resume(rec.id).catch(() => undefined);
    if (timeout !== 0) {
      const sig = opts.signal || rec.spec.lifecycle.stopSignal || 'SIGTERM';
      this.#publish(rec, 'kill', { signal: eventSignal(sig) });
      await this.deps.runtime.kill(rec.id, sig).catch(() => undefined);
      const done = timeout < 0 ? await exited.then(() => true) : await Promise.race([exited.then(() => true), sleep(timeout * 1000).then(() => false)]);
      if (done) return;
    }
    this.#publish(rec, 'kill', { signal: '9' });
    await this.deps.runtime.kill(rec.id, 'SIGKILL').catch(() => undefined);
    await exited;
  }

  /**
   * Docker's kill: SIGKILL (the default) answers once the exit is recorded, so the next inspect sees
   * the container exited (bounded: 10 s, then the pid is killed directly and given 2 s more); another
   * signal answers once delivered. The stop signal or SIGKILL also tells the restart policy to stay put.
   */
  async kill(idOrName: string, signal = 'SIGKILL'): Promise<void> {
    const sig = normalizeSignal(signal);
    const rec = this.get(idOrName);
    if (rec.state.status === 'restarting') {
      const settled = await this.#locked(rec.id, async () => {
        const now = this.get(rec.id);
        if (now.state.status !== 'restarting') return false;
        now.manuallyStopped = true;
        this.#settleRestarting(now);
        return true;
      });
      if (settled) return this.#publish(rec, 'kill', { signal: eventSignal(sig) });
    }
    const cur = this.get(rec.id);
    if (cur.state.status !== 'running' && cur.state.status !== 'paused') throw new Conflict(`container ${cur.id} is not running`);
    const stops = sig === 'SIGKILL' || sig === normalizeSignal(cur.spec.lifecycle.stopSignal || 'SIGTERM');
    if (stops && !cur.manuallyStopped) {
      cur.manuallyStopped = true;
      this.deps.store.update(cur);
    }
    const exited = nextExit(this.events, cur);
    try {
      await this.deps.runtime.kill(cur.id, sig);
    } catch (e) {
      // Gone between the check and the signal: as Docker, that is a kill that found it dead.
      if (!(e instanceof Conflict || e instanceof NotFound)) throw e;
      if (sig !== 'SIGKILL') throw new Conflict(`container ${cur.id} is not running`, { cause: e });
      // Its exit may have been recorded before `exited` listened: then there is nothing to wait for.
      const now = this.deps.store.get(cur.id)?.state.status;
      if (now !== 'running' && now !== 'paused') return;
    }
    // A frozen process takes the signal once thawed.
    if (cur.state.status === 'paused' && stops) await this.deps.runtime.resume(cur.id).catch(() => undefined);
    this.#publish(cur, 'kill', { signal: eventSignal(sig) });
    if (sig !== 'SIGKILL') return;
    if (await settlesWithin(exited, 10_000)) return;
    this.deps.log(`container ${cur.id} failed to exit within 10s of kill: killing its process directly`);
    const pid = this.deps.store.get(cur.id)?.state.pid ?? 0;
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return; // no such process: it is dead
      }
    }
    if (!(await settlesWithin(exited, 2_000))) throw new Unavailable('tried to kill container, but did not receive an exit event');
  }

  async restart(idOrName: string, opts: { timeout?: number | undefined; signal?: string | undefined } = {}): Promise<void> {
    const rec = this.get(idOrName);
    await this.stop(rec.id, opts).catch((e: unknown) => {
      if (!(e instanceof NotModified)) throw e;
    });
    await this.#locked(rec.id, async () => {
      const now = this.get(rec.id);
      now.manuallyStopped = false;
      await this.#startLocked(now);
      this.#publish(now, 'restart');
    });
  }

  async pause(idOrName: string): Promise<void> {
    const rec0 = this.get(idOrName);
    await this.#locked(rec0.id, async () => {
      const rec = this.get(rec0.id);
      if (rec.state.status === 'paused') throw new Conflict(`Container ${rec.id} is already paused`);
      if (rec.state.status !== 'running') throw new Conflict(`Container ${rec.id} is not running`);
      await this.deps.runtime.pause(rec.id);
      rec.state.status = 'paused';
      this.deps.store.update(rec);
      this.#publish(rec, 'pause');
    });
  }

  async unpause(idOrName: string): Promise<void> {
    const rec0 = this.get(idOrName);
    await this.#locked(rec0.id, async () => {
      const rec = this.get(rec0.id);
      if (rec.state.status !== 'paused') throw new Conflict(`Container ${rec.id} is not paused`);
      await this.deps.runtime.resume(rec.id);
      rec.state.status = 'running';
      this.deps.store.update(rec);
      this.#publish(rec, 'unpause');
    });
  }

  async remove(idOrName: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const rec = this.get(idOrName);
    if (rec.state.status === 'restarting') {
      if (!opts.force) throw new Conflict(`You cannot remove a restarting container ${rec.id}. Stop the container before attempting removal or force remove`);
      this.#settleRestarting(rec);
    }
    const live = rec.state.status === 'running' || rec.state.status === 'paused' || rec.state.status === 'restarting';
    if (live && !opts.force) {
      const what = rec.state.status === 'paused' ? 'paused' : 'running';
      throw new Conflict(`You cannot remove a ${what} container ${rec.id}. Stop the container before attempting removal or force remove`);
    }
    if (live) {
      const exited = nextExit(this.events, rec);
      if (rec.state.status === 'paused') await this.deps.runtime.resume(rec.id).catch(() => undefined);
      await this.deps.runtime.kill(rec.id, 'SIGKILL').catch(() => undefined);
      await Promise.race([exited, sleep(10_000)]);
    }
    const trace = stepTrace(this.deps.trace, `remove ${rec.id.slice(0, 12)}`);
    await this.#locked(rec.id, async () => {
      const now = this.deps.store.get(rec.id);
      if (!now) return;
      trace.mark(live ? 'killed' : 'lock');
      await destroy(this.deps, now, { dir: this.dir(rec.id), rootfs: this.rootfsPath(rec.id) }, opts.volumes === true, trace);
    });
    trace.end();
    this.events.emit('removed', rec.id);
    this.#publish(rec, 'destroy');
  }

  /** The container a link name (`/parent/alias`) stands for, or NotFound as for an unknown name. */
  resolveLink(linkName: string): { parent: ContainerRecord; alias: string; target: ContainerRecord } {
    return resolveLinkName(linkName, (n) => this.get(n), (id) => this.deps.store.get(id));
  }

  /** docker rm --link /parent/alias: the parent loses the link (its running process keeps what it was given). */
  async removeLink(linkName: string): Promise<void> {
    if (!linkName.replace(/^\/+/, '').includes('/')) {
      this.get(linkName);
      throw new Internal('Conflict, cannot remove the default link name of the container');
    }
    const { parent, alias } = this.resolveLink(linkName);
    await this.#locked(parent.id, async () => {
      const now = this.get(parent.id);
      now.spec.networking.links = (now.spec.networking.links ?? []).filter((l) => l.alias !== alias);
      if (!now.spec.networking.links.length) delete now.spec.networking.links;
      this.deps.store.update(now);
    });
  }

  /**
   * docker update: new limits (applied at once to a running container; checked by the front end
   * against the current ones, which `plan` gets) and the restart policy.
   */
  async update(idOrName: string, plan: (spec: ContainerSpec) => { resources?: ResourceSpec; restartPolicy?: LifecycleSpec['restartPolicy'] }): Promise<void> {
    const rec = this.get(idOrName);
    const change = plan(rec.spec);
    if (change.resources) {
      const next = await updatedResources(rec, change.resources, this.deps.namespaces ?? {}, cgroupResources(change.resources));
      if (rec.state.status === 'running' || rec.state.status === 'paused') await this.deps.runtime.update(rec.id, next);
      rec.spec.resources = change.resources;
    }
    if (change.restartPolicy) rec.spec.lifecycle.restartPolicy = change.restartPolicy;
    this.deps.store.update(rec);
    this.#publish(rec, 'update');
  }

  async rename(idOrName: string, newName: string): Promise<void> {
    const rec = this.get(idOrName);
    const name = validateName(newName);
    if (name === rec.name) throw new Conflict(`Renaming a container with the same name as its current name`);
    const taken = this.deps.store.list().find((c) => c.name === name);
    if (taken) throw new Conflict(`Conflict. The container name "/${name}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const oldName = rec.name;
    rec.name = name;
    this.deps.store.update(rec);
    this.#publish(rec, 'rename', { oldName: `/${oldName}` });
  }

  /** Docker's wait conditions; resolves with the exit code. */
  async wait(idOrName: string, condition: WaitCondition, signal?: AbortSignal): Promise<{ statusCode: number; error?: string }> {
    const rec = this.get(idOrName);
    const live = ['running', 'paused', 'restarting'].includes(rec.state.status);
    if (condition === 'not-running' && !live) return { statusCode: rec.state.exitCode };
    return { statusCode: await nextExit(this.events, rec, { untilRemoved: condition === 'removed', signal }) };
  }

  /** Start-up reconciliation (live restore): containers that ran while berthd was away. */
  async restore(): Promise<void> {
    await settleInterrupted(this.deps, (id, o) => this.remove(id, o));
    for (const rec of this.deps.store.list()) {
      if (!['running', 'paused', 'restarting'].includes(rec.state.status)) continue;
      // Its driver takes what it wrote while berthd was away (before an exit is recorded, for one that exited).
      await this.#logs.start(rec, this.dir(rec.id), (o) => this.readLogs(rec.id, o)).catch((e: unknown) => this.deps.log(`log driver of ${rec.id}`, e));
      const st = await this.deps.runtime.state(rec.id).catch(() => null);
      if (st && (st.status === 'running' || st.status === 'paused')) {
        if (rec.state.status !== st.status) {
          rec.state.status = st.status;
          this.deps.store.update(rec);
        }
        this.#monitor(rec.id);
        this.#health.start(rec);
        this.deps.runtime.watchLog(rec.id, this.logPath(rec.id), logRotationOf(rec, this.deps.logOpts, this.deps.logDriver));
        continue;
      }
      // conmon writes the exit file a moment after the process is gone: give it that moment.
      const exit =
        (await this.deps.runtime.exitStatus(rec.id).catch(() => null)) ??
        (await this.deps.runtime.waitExit(rec.id, AbortSignal.timeout(2000)).catch(() => null));
      await this.#onExit(rec.id, exit?.exitCode ?? 255, exit?.exitedAt ?? new Date(), false);
    }
    // Containers whose policy brings them back with the daemon.
    for (const rec of this.deps.store.list()) {
      if (!startsWithDaemon(rec) || this.#restartTimers.has(rec.id)) continue;
      await this.#locked(rec.id, () => this.#startLocked(rec)).catch((e: unknown) => this.deps.log(`start of ${rec.id} by policy failed`, e));
    }
  }

  /**
   * Removes every stopped container the caller's predicate does not keep, and tells what each one's
   * writable layer held (`sizeOf`, measured before removal). One that cannot go (started or removed
   * meanwhile) is skipped, as dockerd does.
   */
  async prune(keep: (c: ContainerRecord) => boolean, sizeOf: (c: ContainerRecord) => Promise<number> = async () => 0): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    return pruneStopped(this, this.deps.bus, keep, sizeOf);
  }

}
