import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Conflict, InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { ExecConfig, ExecRecord, ExecStore } from '../../core/metadata/index.js';
import { processStartTime, readExecExitFile } from '../../core/runtime/index.js';
import type { ExecProcess } from '../../core/runtime/index.js';
import type { ContainerService } from './service.js';

export type { ExecConfig, ExecRecord, ExecStatus } from '../../core/metadata/index.js';

/** What a started exec hands to the protocol layer: its streams and how it ends. */
export interface ExecSession {
  record: ExecRecord;
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable;
  /** Resolves with the exit code once the process is gone. */
  done: Promise<number>;
}

/** How long an exited exec stays inspectable (Docker keeps them until the container goes). */
const KEEP_EXITED = 10 * 60 * 1000;
/** The exit code of an exec whose end berthd could not learn (its recorder was killed too). */
const UNKNOWN_EXIT = 255;
/** dockerd's exit code of an exec whose process the runtime could not start, whatever the reason. */
const EXEC_START_FAILED = 126;
/** How often an exec that outlived a berthd restart is checked for its end. */
const POLL_MS = 250;

/**
 * docker exec. Instances are kept in SQLite (unlike Docker's in-memory store) so that they outlive
 * a berthd restart as their processes do: each process's exit code is written to a file by a
 * small recorder that does not depend on berthd, and a restarted berthd picks it up from there.
 */
export class ExecService {
  readonly #execs = new Map<string, ExecRecord>();
  readonly #processes = new Map<string, ExecProcess>();
  readonly #store: ExecStore;

  constructor(
    private readonly containers: ContainerService,
    store: ExecStore,
  ) {
    this.#store = store;
    containers.events.on('removed', (cid) => this.#forgetContainer(cid));
  }

  #exitFile(rec: ExecRecord): string {
    return join(this.containers.dir(rec.containerId), 'execs', rec.id);
  }

  #save(rec: ExecRecord): void {
    if (this.#execs.has(rec.id)) this.#store.put(rec);
  }

  /**
   * Start-up: loads the instances of containers that still exist. One that ran when berthd went
   * away is still running (same pid, same start time) and is watched until it ends, or it ended
   * meanwhile and its recorded exit code is taken.
   */
  async restore(): Promise<void> {
    for (const rec of this.#store.list()) {
      // Any namespace's container (a CRI pod's too): the store, not the Engine API's lookup.
      const exists = this.containers.deps.store.get(rec.containerId) !== undefined;
      const age = rec.exitedAt ? Date.now() - rec.exitedAt.getTime() : 0;
      if (!exists || (rec.status === 'exited' && age >= KEEP_EXITED)) {
        this.#store.delete(rec.id);
        continue;
      }
      this.#execs.set(rec.id, rec);
      if (rec.status === 'exited') this.#expire(rec.id, KEEP_EXITED - age);
      if (rec.status === 'running') await this.#reattach(rec);
    }
  }

  async #reattach(rec: ExecRecord): Promise<void> {
    const check = async (): Promise<boolean> => {
      const code = await readExecExitFile(this.#exitFile(rec));
      if (code !== null) {
        this.#finish(rec, code);
        return true;
      }
      const alive = rec.pid > 0 && rec.pidStart !== undefined && (await processStartTime(rec.pid)) === rec.pidStart;
      if (alive) return false;
      // Gone without a code: the recorder may be writing it this instant; look once more.
      this.#finish(rec, (await readExecExitFile(this.#exitFile(rec))) ?? UNKNOWN_EXIT);
      return true;
    };
    if (await check()) return;
    const timer = setInterval(() => {
      if (!this.#execs.has(rec.id)) return clearInterval(timer);
      void check().then(
        (done) => done && clearInterval(timer),
        (e: unknown) => this.containers.deps.log(`exec ${rec.id}`, e),
      );
    }, POLL_MS);
    timer.unref();
  }

  #finish(rec: ExecRecord, code: number): void {
    if (rec.status === 'exited') return;
    rec.status = 'exited';
    rec.exitCode = code;
    rec.exitedAt = new Date();
    this.#processes.delete(rec.id);
    this.#save(rec);
    this.#publish('exec_die', rec.containerId, { ...this.#attrs(rec.containerId, rec.id), exitCode: String(code) });
    this.#expire(rec.id);
  }

  create(containerIdOrName: string, config: ExecConfig): ExecRecord {
    const c = this.containers.get(containerIdOrName);
    if (config.cmd.length === 0) throw new InvalidArgument('No exec command specified');
    if (c.state.status === 'paused') throw new Conflict(`Container ${c.id} is paused, unpause the container before exec`);
    if (c.state.status !== 'running') throw new Conflict(`Container ${c.id} is not running`);
    const rec: ExecRecord = {
      id: randomBytes(32).toString('hex'),
      containerId: c.id,
      config,
      status: 'created',
      exitCode: null,
      pid: 0,
      createdAt: new Date(),
    };
    this.#execs.set(rec.id, rec);
    this.#save(rec);
    this.#publish(`exec_create: ${config.cmd.join(' ')}`, c.id, this.#attrs(c.id, rec.id));
    return rec;
  }

  get(id: string): ExecRecord {
    const rec = this.#execs.get(id);
    if (!rec) throw new NotFound(`No such exec instance: ${id}`);
    return rec;
  }

  /** Exec ids of a container, for its inspect's ExecIDs. */
  idsOf(containerId: string): string[] {
    return [...this.#execs.values()].filter((e) => e.containerId === containerId && e.status !== 'exited').map((e) => e.id);
  }

  /**
   * Starts the process. A command that cannot run rejects (CommandNotFound / CannotInvoke) after
   * the instance recorded dockerd's exit code for it (126, for a missing program too).
   */
  async start(id: string, opts: { tty?: boolean; consoleSize?: { height: number; width: number } | null } = {}): Promise<ExecSession> {
    const rec = this.get(id);
    if (rec.status === 'running') throw new Conflict(`Error: Exec command ${id} is already running`);
    if (rec.status === 'exited') throw new Conflict(`Error: Exec command ${id} has already run`);
    const c = this.containers.get(rec.containerId);
    if (c.state.status === 'paused') throw new Conflict(`Container ${c.id} is paused, unpause the container before exec`);
    if (c.state.status !== 'running') throw new Conflict(`Container ${c.id} is not running`);
    rec.status = 'running';
    // Saved before the process exists: after a crash here the instance must not start twice.
    this.#save(rec);
    const tty = opts.tty ?? rec.config.tty;
    const size = opts.consoleSize ?? rec.config.consoleSize;
    const runtime = this.containers.deps.runtime;
    let proc: ExecProcess;
    try {
      const user = rec.config.user ? await runtime.resolveUser(this.containers.rootfsPath(c.id), rec.config.user) : undefined;
      await mkdir(join(this.containers.dir(c.id), 'execs'), { recursive: true });
      proc = await runtime.exec(c.id, {
        exitFile: this.#exitFile(rec),
        args: rec.config.cmd,
        env: rec.config.env,
        ...(rec.config.workingDir ? { cwd: rec.config.workingDir } : {}),
        ...(user ? { user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids } } : {}),
        openStdin: rec.config.attachStdin,
        privileged: rec.config.privileged,
        tty,
        ...(tty && size ? { consoleSize: size } : {}),
      });
    } catch (e) {
      rec.status = 'exited';
      // As dockerd's exec: any process the runtime cannot start, a missing program included, is 126
      // (127 is only `run`'s code for a missing program; the shell's convention does not apply here).
      rec.exitCode = EXEC_START_FAILED;
      rec.exitedAt = new Date();
      this.#save(rec);
      this.#expire(rec.id);
      throw e;
    }
    rec.pid = proc.pid;
    const started = await processStartTime(proc.pid);
    if (started) rec.pidStart = started;
    this.#save(rec);
    this.#processes.set(rec.id, proc);
    this.#publish(`exec_start: ${rec.config.cmd.join(' ')}`, c.id, this.#attrs(c.id, rec.id));
    const done = proc.wait().then(
      (r) => r.exitCode,
      (e: unknown) => {
        this.containers.deps.log(`exec ${rec.id}`, e);
        return EXEC_START_FAILED;
      },
    ).then((code) => {
      this.#finish(rec, code);
      return code;
    });
    return { record: rec, stdin: proc.stdin, stdout: proc.stdout, stderr: proc.stderr, done };
  }

  /** POST /exec/{id}/resize: only a TTY exec has a window. */
  resize(id: string, height: number, width: number): void {
    const rec = this.get(id);
    if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0) {
      throw new InvalidArgument('invalid resize parameters');
    }
    const proc = this.#processes.get(id);
    if (!proc) {
      if (rec.status === 'created') {
        rec.config.consoleSize = { height, width };
        this.#save(rec);
        return;
      }
      throw new Conflict(`Exec ${id} is not running`);
    }
    proc.resize?.(height, width);
  }

  /** Event attributes; the container may be gone by the time an exec dies. */
  /** An engine event, for containers of the Engine API's namespace only (not CRI pods'). */
  #publish(action: string, containerId: string, attrs: Record<string, string>): void {
    if (this.containers.deps.store.get(containerId)?.namespace) return;
    this.containers.deps.bus?.publish('container', action, containerId, attrs);
  }

  #attrs(containerId: string, execId: string): Record<string, string> {
    try {
      const c = this.containers.get(containerId);
      return { ...c.spec.labels, image: c.spec.rootfs.image, name: c.name, execID: execId };
    } catch {
      return { execID: execId };
    }
  }

  #expire(id: string, after = KEEP_EXITED): void {
    setTimeout(() => {
      const rec = this.#execs.get(id);
      if (!rec) return;
      this.#execs.delete(id);
      this.#store.delete(id);
      void rm(this.#exitFile(rec), { force: true }).catch(() => undefined);
    }, after).unref();
  }

  /** The container's folder (with the exit files) goes with it; so do its instances. */
  #forgetContainer(containerId: string): void {
    for (const [id, e] of this.#execs) if (e.containerId === containerId) this.#execs.delete(id);
    this.#store.deleteOfContainer(containerId);
  }
}
