import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Internal, Unavailable } from '../../errdefs/index.js';
import type { ContainerPaths } from './paths.js';
import { runcError } from './runc.js';

const SYNC_TIMEOUT_MS = 60_000;

export interface ConmonLaunch {
  conmonPath: string;
  runtimePath: string;
  runcRoot: string;
  /** The runtime's own global options, given to it before berth's. */
  runtimeArgs?: readonly string[];
  id: string;
  bundleDir: string;
  logPath: string;
  /** conmon's --log-size-max: it starts a new file before one would grow past this. */
  logSizeMax?: number | undefined;
  paths: ContainerPaths;
  stdin: boolean;
  tty: boolean;
  /** A checkpoint's folder: conmon runs `runc restore` from it (the container runs at once) instead of `runc create`. */
  restore?: string | undefined;
  signal?: AbortSignal;
}

/**
 * Reads conmon's first sync message: `{"data": pid}` or `{"data": -1, "message": …}`. conmon keeps
 * the pipe open afterwards, so we stop at the first complete line (or at EOF if conmon died).
 */
function readSyncMessage(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (): void => {
      stream.off('data', onData);
      stream.destroy();
      resolve(text);
    };
    const onData = (c: Buffer): void => {
      text += c.toString('utf8');
      const first = text.split('\n').find((l) => l.trim() !== '') ?? '';
      try {
        JSON.parse(first);
        done();
      } catch {
        /* not complete yet */
      }
    };
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', reject);
  });
}

/**
 * Starts conmon, which double-forks, runs `runc create` and stays as the container's monitor.
 * Resolves with the container pid once runc create has finished (read from the sync pipe):
 * before that, `runc start` fails with "container does not exist".
 */
export async function launchConmon(l: ConmonLaunch): Promise<number> {
  const args = [
    '--api-version', '1',
    '-c', l.id,
    '-u', l.id,
    '-n', l.id,
    '-r', l.runtimePath,
    '-b', l.bundleDir,
    '-p', l.paths.containerPidFile,
    '-P', l.paths.conmonPidFile,
    '-l', `k8s-file:${l.logPath}`,
    '--exit-dir', l.paths.exitDir,
    '--persist-dir', l.paths.persistDir,
    // The attach socket goes straight into the bundle dir (no symlink dir in /run to clean up).
    '--full-attach',
    '--socket-dir-path', l.paths.dir,
    ...(l.runtimeArgs ?? []).flatMap((a) => ['--runtime-arg', a]),
    '--runtime-arg', '--root',
    '--runtime-arg', l.runcRoot,
    '--log-level', 'error',
  ];
  if (l.logSizeMax !== undefined) args.push('--log-size-max', String(l.logSizeMax));
  // runc restore's work path is the bundle: CRIU's restore.log lands there.
  if (l.restore !== undefined) args.push('--restore', l.restore);
  if (l.stdin) args.push('-i');
  if (l.tty) args.push('-t');
  // Docker never closes a TTY container's stdin when a client goes (detach, reattach later).
  if (l.tty && l.stdin) args.push('--leave-stdin-open');

  // conmon's own messages go to a file: a pipe would stay open in the daemonized conmon, and
  // writing to it after berthd closed its end would kill conmon with SIGPIPE.
  const errFile = await open(l.paths.conmonLog, 'a');
  let child;
  try {
    child = spawn(l.conmonPath, args, {
      stdio: ['ignore', 'ignore', errFile.fd, 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
      // conmon writes an `oom` file into its working directory too: the bundle, not berthd's cwd.
      cwd: l.bundleDir,
      detached: true,
      ...(l.signal ? { signal: l.signal } : {}),
    });
  } finally {
    await errFile.close();
  }
  const pipe = child.stdio[3] as Readable | null;
  if (!pipe) throw new Internal('conmon sync pipe was not created');
  // Only a spawn failure matters here: the first conmon exits at once after forking its monitor,
  // and under load Node was seen to miss that exit, so the sync pipe alone decides.
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
  let text: string;
  // Once the first conmon has exited, the sync pipe alone does not keep Node's event loop alive;
  // this timer does, and bounds the wait if runc hangs.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Unavailable(`conmon did not report the creation of container ${l.id} within ${SYNC_TIMEOUT_MS / 1000}s`)),
      SYNC_TIMEOUT_MS,
    );
  });
  try {
    text = await Promise.race([readSyncMessage(pipe), spawnFailed, timeout]);
  } catch (e) {
    pipe.destroy();
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Unavailable(`conmon not found at ${l.conmonPath}`, { cause: e });
    throw e;
  } finally {
    clearTimeout(timer);
  }
  child.unref();
  const conmonErrors = async (): Promise<string> => (await readFile(l.paths.conmonLog, 'utf8').catch(() => '')).trim();
  // Only the first JSON object matters for a container (exec sessions would send a second).
  const line = text.split('\n').find((s) => s.trim().startsWith('{'));
  if (!line) {
    const errText = await conmonErrors();
    throw new Unavailable(`conmon failed to create container ${l.id}${errText ? `: ${errText}` : ''}`);
  }
  let msg: { data?: unknown; message?: unknown };
  try {
    msg = JSON.parse(line) as { data?: unknown; message?: unknown };
  } catch (e) {
    throw new Internal(`conmon sent an unreadable sync message: ${line}`, { cause: e });
  }
  if (typeof msg.data === 'number' && msg.data > 0) return msg.data;
  const message = typeof msg.message === 'string' ? msg.message : (await conmonErrors()) || 'unknown error';
  throw runcError('create', l.id, cleanConmonMessage(message));
}

/** conmon prefixes runc's log line with its own; keep runc's sentence. */
function cleanConmonMessage(m: string): string {
  const inner = /msg="((?:[^"\\]|\\.)*)"/.exec(m);
  return (inner?.[1] !== undefined ? inner[1].replace(/\\(.)/g, '$1') : m).trim();
}
