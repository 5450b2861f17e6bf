import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { BerthError, Conflict, InvalidArgument, NotFound, NotImplemented } from '../../errdefs/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';
import type { ContainerService } from './service.js';

/** Docker's rule for checkpoint names: no separators, so a name never leaves its folder. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export interface CheckpointPlace {
  /** A folder of the user's holding the checkpoints (docker --checkpoint-dir); absent: the container's own. */
  dir?: string | undefined;
}

/**
 * Checkpoint and restore with CRIU (Docker's experimental `checkpoint create/ls/rm` and
 * `start --checkpoint`): each checkpoint is a folder of CRIU images, under the container's folder
 * (`<data-root>/containers/<id>/checkpoints/<name>`) or under a folder the user names. A restore
 * may run in another container than the one checkpointed (a new one of the same image), as Podman allows.
 */
export class Checkpoints {
  constructor(readonly containers: ContainerService) {}

  #base(rec: ContainerRecord, place: CheckpointPlace): string {
    if (place.dir === undefined || place.dir === '') return join(this.containers.dir(rec.id), 'checkpoints');
    if (!isAbsolute(place.dir)) throw new InvalidArgument(`checkpoint directory ${JSON.stringify(place.dir)} must be an absolute path`);
    return place.dir;
  }

  async create(idOrName: string, name: string, opts: CheckpointPlace & { leaveRunning?: boolean }): Promise<void> {
    const rec0 = this.containers.get(idOrName);
    checkName(name);
    const checkpoint = this.containers.deps.runtime.checkpoint?.bind(this.containers.deps.runtime);
    if (!checkpoint) throw new NotImplemented('checkpoints are not supported by this runtime');
    await this.containers.withLock(rec0.id, async () => {
      const rec = this.containers.get(rec0.id);
      if (rec.state.status !== 'running') throw new Conflict(`Container ${idOrName} is not running`);
      refuseTty(rec, 'checkpoint');
      const target = join(this.#base(rec, opts), name);
      const st = await stat(target).catch(() => undefined);
      if (st?.isDirectory()) throw new Conflict(`checkpoint with name ${name} already exists for container ${idOrName}`);
      if (st) throw new Conflict(`cannot checkpoint container ${idOrName}: ${name} exists in the checkpoint directory and is not a directory`);
      await mkdir(target, { recursive: true, mode: 0o700 });
      // A checkpoint that ends the container is a stop the user asked for: no restart policy brings it back.
      const wasStopped = rec.manuallyStopped;
      if (!opts.leaveRunning) this.#setManuallyStopped(rec, true);
      try {
        await checkpoint(rec.id, { imagePath: target, leaveRunning: opts.leaveRunning === true });
      } catch (e) {
        // A failed checkpoint leaves nothing that `checkpoint ls` would list, and the container as it was.
        await rm(target, { recursive: true, force: true });
        if (!opts.leaveRunning) this.#setManuallyStopped(rec, wasStopped);
        throw prefixed(e, `Cannot checkpoint container ${idOrName}`);
      }
      if (!rec.namespace) this.containers.deps.bus?.publish('container', 'checkpoint', rec.id, { ...rec.spec.labels, image: rec.spec.rootfs.image, name: rec.name });
    });
    // The exit is recorded under the container's lock: waited for after it, so a `start --checkpoint` right after finds it stopped.
    if (!opts.leaveRunning) await this.containers.wait(rec0.id, 'not-running');
  }

  #setManuallyStopped(rec: ContainerRecord, value: boolean | undefined): void {
    const now = this.containers.deps.store.get(rec.id);
    if (!now) return;
    now.manuallyStopped = value === true;
    this.containers.deps.store.update(now);
  }

  /** The checkpoints' names, sorted; none when the folder does not exist yet. */
  async list(idOrName: string, place: CheckpointPlace): Promise<string[]> {
    const base = this.#base(this.containers.get(idOrName), place);
    const entries = await readdir(base, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw new InvalidArgument(`cannot list checkpoints in ${place.dir ?? 'the container folder'}: ${e.code ?? e.message}`, { cause: e });
    });
    return entries.filter((d) => d.isDirectory()).map((d) => d.name).sort();
  }

  async remove(idOrName: string, name: string, place: CheckpointPlace): Promise<void> {
    const path = await this.#existing(this.containers.get(idOrName), idOrName, name, place);
    await rm(path, { recursive: true, force: true });
  }

  /** docker start --checkpoint NAME [--checkpoint-dir DIR]: the container's processes come back from the checkpoint. */
  async restore(idOrName: string, name: string, place: CheckpointPlace): Promise<void> {
    const rec = this.containers.get(idOrName);
    refuseTty(rec, 'restore');
    const path = await this.#existing(rec, idOrName, name, place);
    try {
      await this.containers.start(rec.id, { restoreFrom: path });
    } catch (e) {
      throw prefixed(e, `Cannot restore container ${idOrName} from checkpoint ${name}`);
    }
  }

  async #existing(rec: ContainerRecord, idOrName: string, name: string, place: CheckpointPlace): Promise<string> {
    checkName(name);
    const path = join(this.#base(rec, place), name);
    const st = await stat(path).catch(() => undefined);
    if (!st) throw new NotFound(`checkpoint ${name} does not exist for container ${idOrName}`);
    if (!st.isDirectory()) throw new InvalidArgument(`checkpoint ${name} of container ${idOrName} is not a directory`);
    return path;
  }
}

export function checkName(name: string): void {
  if (!NAME.test(name)) throw new InvalidArgument(`Invalid checkpoint ID (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
}

/** CRIU cannot save a terminal's other end (held by conmon): Docker refuses these containers too. */
function refuseTty(rec: ContainerRecord, op: string): void {
  if (rec.spec.process.terminal) throw new InvalidArgument(`cannot ${op} container ${rec.name}: checkpoint and restore are not supported on containers with a TTY (-t)`);
}

/** The same error class with the operation's words in front (a refusal stays a refusal). */
function prefixed(e: unknown, what: string): unknown {
  if (!(e instanceof BerthError)) return e;
  const Ctor = e.constructor as new (message: string, opts?: { cause?: unknown }) => BerthError;
  return new Ctor(`${what}: ${e.message}`, { cause: e });
}
