import { execFile } from 'node:child_process';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server } from 'node:net';
import { basename, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { cleanComponents, RootResolver } from '../../core/diff/index.js';
import { mountKey, type RunMount } from '../../core/dockerfile/index.js';
import type { MountRequest } from '../containers/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { CacheMounts } from './cache-mounts.js';
import { planCopy } from './copy.js';

const run = promisify(execFile);

/** A stage's or image's rootfs held open for a step (a bind or cache from=); release() when done. */
export interface HeldSource {
  root: string;
  release(): Promise<void>;
}

/** What a step's mounts use: the context, the cache store, the build's secrets and agents, other stages. */
export interface MountSources {
  contextDir: string;
  caches: CacheMounts;
  /** --secret id → its bytes (never written anywhere but the step's private file). */
  secrets: ReadonlyMap<string, Buffer>;
  /** --ssh id → the agent socket on the host. */
  ssh: ReadonlyMap<string, string>;
  /** The image ID a from= names (for the cache key). */
  sourceId(from: string): Promise<string>;
  signal?: AbortSignal;
  open(from: string): Promise<HeldSource>;
}

/** The step's mounts made real: the container's mounts, its extra environment, and what to undo after. */
export interface OpenMounts {
  requests: MountRequest[];
  env: string[];
  release(): Promise<void>;
}

/**
 * The text each mount adds to the step's cache key: its options, and for a bind the content it
 * shows (the context files' checksum, or the image of the stage or image it comes from). Cache
 * directories, tmpfs, secrets and agents add only their options: their contents never count.
 */
export async function mountCacheKey(mounts: RunMount[], src: MountSources): Promise<string[]> {
  const out: string[] = [];
  for (const m of mounts) {
    // A required secret or agent that is missing fails the step also when it is cached.
    if (m.type === 'secret' && m.required && !src.secrets.has(m.id)) throw missingSecret(m.id);
    if (m.type === 'ssh' && m.required && !src.ssh.has(m.id)) throw missingAgent(m.id);
    let extra = '';
    if (m.type === 'bind' && m.from === undefined) extra = ` ${(await planCopy(src.contextDir, [m.source], { fromContext: true, unpack: false })).hash}`;
    else if ((m.type === 'bind' || m.type === 'cache') && m.from !== undefined) extra = ` ${await src.sourceId(m.from)}`;
    out.push(`${mountKey(m)}${extra}`);
  }
  return out;
}

/**
 * A mount inside a read-only bind needs its mount point there already: the runtime cannot make it
 * (it would fail naming the data root). Said in the Dockerfile's terms instead.
 */
async function checkNested(requests: MountRequest[]): Promise<void> {
  for (const r of requests) {
    const parent = requests.filter((p) => p !== r && p.type === 'bind' && r.destination.startsWith(`${p.destination.replace(/\/$/, '')}/`)).at(-1);
    if (!parent || parent.rw) continue;
    const rel = r.destination.slice(parent.destination.replace(/\/$/, '').length + 1);
    if (!(await lstat(join(parent.source, rel)).then(() => true, () => false))) {
      throw new InvalidArgument(`cannot mount ${r.destination}: it is inside the read-only mount at ${parent.destination}, which has no ${rel} (make that mount rw, or mount at a path it has)`);
    }
  }
}

function missingSecret(id: string): InvalidArgument {
  return new InvalidArgument(`secret ${id} not found: it is required (give it with --secret id=${id},src=FILE)`);
}

function missingAgent(id: string): InvalidArgument {
  return new InvalidArgument(`no SSH agent or key was given for the ssh mount id ${id}: it is required (give it with --ssh ${id}=SOCKET)`);
}

/** A path inside `root`, resolved as a chroot would (symlinks stay inside). */
async function inside(root: string, path: string, what: string): Promise<string> {
  const comps = cleanComponents(path);
  const r = new RootResolver(root);
  try {
    return r.abs(await r.resolveDir(comps));
  } catch {
    // Not a directory: its parent is, and the file itself is taken as it is.
    const dir = await r.resolveDir(comps.slice(0, -1)).catch(() => null);
    const file = dir && comps.length ? join(r.abs(dir), comps.at(-1) as string) : null;
    if (!file || !(await lstat(file).then((s) => !s.isSymbolicLink(), () => false))) throw new InvalidArgument(`the mount source ${JSON.stringify(path)} does not exist in ${what}`);
    return file;
  }
}

async function copyInto(src: string, dest: string): Promise<void> {
  const st = await lstat(src);
  if (st.isDirectory()) await run('cp', ['-a', `${src}/.`, dest]);
  else await run('cp', ['-a', src, dest]);
}

/** A proxy socket with the mount's owner and mode, in front of the agent the build was given. */
async function agentProxy(dir: string, agent: string, m: Extract<RunMount, { type: 'ssh' }>): Promise<{ path: string; server: Server }> {
  const path = join(dir, `agent-${basename(m.target ?? 'ssh')}.sock`);
  const server = createServer((c) => {
    const up = connect(agent);
    up.on('error', () => c.destroy());
    c.on('error', () => up.destroy());
    c.pipe(up).pipe(c);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chown(path, m.uid, m.gid);
  await chmod(path, m.mode);
  return { path, server };
}

/**
 * Makes the step's mounts: binds of the context, a stage or an image (a copy when rw, so that
 * changes are discarded), cache directories held for the step, tmpfs, each secret in a private
 * file on a tmpfs (/dev/shm), each agent behind a socket of its own. `where` names the step in errors.
 */
export async function openMounts(mounts: RunMount[], src: MountSources, stepDir: () => Promise<string>): Promise<OpenMounts> {
  const undo: (() => Promise<void>)[] = [];
  const requests: MountRequest[] = [];
  const env: string[] = [];
  const release = async (): Promise<void> => {
    for (const u of undo.reverse()) await u().catch(() => undefined);
  };
  const bind = (source: string, destination: string, rw: boolean): void => {
    requests.push({ type: 'bind', source, destination, rw, mode: rw ? 'rw' : 'ro', propagation: '', copyData: false });
  };
  let secretDir: string | null = null;
  // One step mounting one cache twice takes it once (a second locked acquire would wait for itself).
  const caches = new Map<string, string>();
  try {
    for (const m of mounts) {
      switch (m.type) {
        case 'bind': {
          let path: string;
          if (m.from === undefined) {
            const clean = posix.normalize(m.source.replace(/^\/+/, '') || '.');
            if (clean === '..' || clean.startsWith('../')) throw new InvalidArgument(`the mount source ${JSON.stringify(m.source)} is outside the build context`);
            path = await inside(src.contextDir, clean, 'the build context');
          } else {
            const held = await src.open(m.from);
            undo.push(() => held.release());
            path = await inside(held.root, m.source, m.from);
          }
          if (!m.readonly) {
            const copy = join(await stepDir(), `bind-${requests.length}`);
            if ((await lstat(path)).isDirectory()) await mkdir(copy);
            await copyInto(path, copy);
            path = copy;
          }
          bind(path, m.target, !m.readonly);
          break;
        }
        case 'cache': {
          const mine = caches.get(m.id);
          if (mine !== undefined) {
            bind(mine, m.target, !m.readonly);
            break;
          }
          const from = m.from;
          const seed = from !== undefined
            ? async (dir: string): Promise<void> => {
              const held = await src.open(from);
              try {
                await copyInto(await inside(held.root, m.source ?? '/', from), dir);
              } finally {
                await held.release();
              }
            }
            : undefined;
          const held = await src.caches.acquire({ id: m.id, target: m.target, sharing: m.sharing, mode: m.mode, uid: m.uid, gid: m.gid, ...(seed ? { seed } : {}), ...(src.signal ? { signal: src.signal } : {}) });
          undo.push(() => held.release());
          caches.set(m.id, held.dir);
          bind(held.dir, m.target, !m.readonly);
          break;
        }
        case 'tmpfs':
          // BuildKit's tmpfs lets programs run from it (unlike docker run --tmpfs).
          requests.push({ type: 'tmpfs', source: '', destination: m.target, rw: true, mode: '', propagation: '', copyData: false, options: ['exec', ...(m.size !== undefined ? [`size=${m.size}`] : [])] });
          break;
        case 'secret': {
          const value = src.secrets.get(m.id);
          if (value === undefined) {
            if (m.required) throw missingSecret(m.id);
            break;
          }
          if (!secretDir) {
            const dir = await mkdtemp(join(await shmDir(), `berth-secret-${process.pid}-`));
            secretDir = dir;
            undo.push(() => rm(dir, { recursive: true, force: true }));
          }
          const file = join(secretDir, `${requests.length}`);
          await writeFile(file, value, { mode: 0o600 });
          await chown(file, m.uid, m.gid);
          await chmod(file, m.mode);
          bind(file, m.target, false);
          break;
        }
        case 'ssh': {
          const agent = src.ssh.get(m.id);
          if (agent === undefined) {
            if (m.required) throw missingAgent(m.id);
            break;
          }
          if (!(await lstat(agent).then((s) => s.isSocket(), () => false))) throw new InvalidArgument(`the SSH agent for the ssh mount id ${m.id} is not a socket: ${agent}`);
          const target = m.target as string;
          const p = await agentProxy(await stepDir(), agent, m);
          undo.push(() => new Promise<void>((r) => p.server.close(() => r())));
          bind(p.path, target, false);
          if (m.id === 'default' || !env.some((e) => e.startsWith('SSH_AUTH_SOCK='))) {
            for (let i = env.length - 1; i >= 0; i--) if ((env[i] as string).startsWith('SSH_AUTH_SOCK=')) env.splice(i, 1);
            env.push(`SSH_AUTH_SOCK=${target}`);
          }
          break;
        }
      }
    }
  } catch (e) {
    await release();
    throw e;
  }
  // Parents before children, whatever order the flags came in (a cache at /src/deps over a bind at /src).
  const depth = (p: string): number => p.split('/').filter(Boolean).length;
  requests.sort((a, b) => depth(a.destination) - depth(b.destination));
  try {
    await checkNested(requests);
  } catch (e) {
    await release();
    throw e;
  }
  return { requests, env, release };
}

/**
 * Secrets stay off the disk: /dev/shm. Each berthd names its files with its pid; what a berthd
 * that is gone (killed during a step) left there is removed here (a readdir of a tmpfs: cheap).
 */
async function shmDir(): Promise<string> {
  const st = await lstat('/dev/shm').catch(() => null);
  if (!st?.isDirectory()) throw new InvalidArgument('secret mounts need /dev/shm (a tmpfs) on the berthd host, so that secrets never touch the disk');
  for (const n of await readdir('/dev/shm').catch(() => [] as string[])) {
    const pid = /^berth-secret-(\d+)-/.exec(n)?.[1];
    if (pid && !alive(Number(pid))) await rm(join('/dev/shm', n), { recursive: true, force: true });
  }
  return '/dev/shm';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A mount point the runtime will make (the target, and its highest missing parent), found before the step runs. */
export interface MountStub {
  target: string;
  top: string;
}

/** The mount points that are not in the image: the runtime makes them, and they must stay out of the layer. */
export async function missingTargets(root: string, targets: string[]): Promise<MountStub[]> {
  const out: MountStub[] = [];
  for (const t of targets) {
    const comps = cleanComponents(t);
    for (let i = 1; i <= comps.length; i++) {
      if (!(await lstat(join(root, ...comps.slice(0, i))).then(() => true, () => false))) {
        out.push({ target: t, top: `/${comps.slice(0, i).join('/')}` });
        break;
      }
    }
  }
  return out;
}

/**
 * Removes each stub (an empty file or directory at the target), then its parents up to the highest
 * one that was missing, while they are empty: what the step wrote there stays.
 */
export async function removeStubs(root: string, stubs: MountStub[]): Promise<void> {
  for (const s of [...stubs].sort((a, b) => b.target.length - a.target.length)) {
    const comps = cleanComponents(s.target);
    const top = cleanComponents(s.top).length;
    for (let i = comps.length; i >= top; i--) {
      const p = join(root, ...comps.slice(0, i));
      const st = await lstat(p).catch(() => null);
      if (!st) continue;
      if (st.isDirectory() && (await readdir(p)).length === 0) await rmdir(p);
      else if (i === comps.length && st.isFile() && st.size === 0) await rm(p);
      else break;
    }
  }
}
