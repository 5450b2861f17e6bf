import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { CommandNotFound, Conflict, InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { ExecProcess } from '../../core/runtime/index.js';
import type { ContainerService } from './service.js';

export interface ExecConfig {
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  privileged: boolean;
  detachKeys: string;
  consoleSize: { height: number; width: number } | null;
}

/** An exec instance's life: created → running → exited (Docker keeps exited ones for inspect). */
export type ExecStatus = 'created' | 'running' | 'exited';

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  status: ExecStatus;
  exitCode: number | null;
  pid: number;
  createdAt: Date;
}

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

/**
 * docker exec: exec instances live in berthd's memory, like Docker's exec store. A process
 * started by exec belongs to the container (runc joins its namespaces and cgroup), so a berthd
 * restart forgets the instance but never leaves the process outside the container.
 */
export class ExecService {
  readonly #execs = new Map<string, ExecRecord>();
  readonly #processes = new Map<string, ExecProcess>();

  constructor(private readonly containers: ContainerService) {
    containers.events.on('removed', (cid) => this.#forgetContainer(cid));
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
    this.containers.deps.bus?.publish('container', `exec_create: ${config.cmd.join(' ')}`, c.id, this.#attrs(c.id, rec.id));
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
   * the instance recorded Docker's exit code for it (127 / 126).
   */
  async start(id: string, opts: { tty?: boolean; consoleSize?: { height: number; width: number } | null } = {}): Promise<ExecSession> {
    const rec = this.get(id);
    if (rec.status === 'running') throw new Conflict(`Error: Exec command ${id} is already running`);
    if (rec.status === 'exited') throw new Conflict(`Error: Exec command ${id} has already run`);
    const c = this.containers.get(rec.containerId);
    if (c.state.status === 'paused') throw new Conflict(`Container ${c.id} is paused, unpause the container before exec`);
    if (c.state.status !== 'running') throw new Conflict(`Container ${c.id} is not running`);
    rec.status = 'running';
    const tty = opts.tty ?? rec.config.tty;
    const size = opts.consoleSize ?? rec.config.consoleSize;
    const runtime = this.containers.deps.runtime;
    let proc: ExecProcess;
    try {
      const user = rec.config.user ? await runtime.resolveUser(this.containers.rootfsPath(c.id), rec.config.user) : undefined;
      proc = await runtime.exec(c.id, {
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
      // As Docker: 127 only when the command itself is missing (not e.g. the working dir), else 126.
      const cmd0 = rec.config.cmd[0] ?? '';
      rec.exitCode = e instanceof CommandNotFound && e.message.includes(`"${cmd0}"`) ? 127 : 126;
      this.#expire(rec.id);
      throw e;
    }
    rec.pid = proc.pid;
    this.#processes.set(rec.id, proc);
    this.containers.deps.bus?.publish('container', `exec_start: ${rec.config.cmd.join(' ')}`, c.id, this.#attrs(c.id, rec.id));
    const done = proc.wait().then(
      (r) => r.exitCode,
      (e: unknown) => {
        this.containers.deps.log(`exec ${rec.id}`, e);
        return e instanceof CommandNotFound ? 127 : 126;
      },
    ).then((code) => {
      rec.status = 'exited';
      rec.exitCode = code;
      this.#processes.delete(rec.id);
      this.containers.deps.bus?.publish('container', 'exec_die', c.id, { ...this.#attrs(c.id, rec.id), exitCode: String(code) });
      this.#expire(rec.id);
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
        return;
      }
      throw new Conflict(`Exec ${id} is not running`);
    }
    proc.resize?.(height, width);
  }

  /** Event attributes; the container may be gone by the time an exec dies. */
  #attrs(containerId: string, execId: string): Record<string, string> {
    try {
      const c = this.containers.get(containerId);
      return { ...c.config.labels, image: c.config.image, name: c.name, execID: execId };
    } catch {
      return { execID: execId };
    }
  }

  #expire(id: string): void {
    setTimeout(() => this.#execs.delete(id), KEEP_EXITED).unref();
  }

  #forgetContainer(containerId: string): void {
    for (const [id, e] of this.#execs) if (e.containerId === containerId) this.#execs.delete(id);
  }
}
