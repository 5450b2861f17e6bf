import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import { Internal } from '../../errdefs/index.js';
import { globalArgs, runcError, runcMessage } from './runc.js';
import type { RuncOptions } from './runc.js';
import { openPty } from './pty.js';
import type { Pty } from './pty.js';

export interface ExecOptions {
  args: string[];
  /** Added to the container's environment (runc exec appends, as docker exec -e does). */
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number; additionalGids: number[] };
  openStdin?: boolean;
  tty?: boolean;
  /**
   * docker exec --privileged: every capability the host has, added to the container's (runc exec --cap
   * raises the bounding set too). The container's seccomp filter still applies: runc puts it on every exec.
   */
  privileged?: boolean;
  /** The TTY's first window size (rows, columns). */
  consoleSize?: { height: number; width: number };
  signal?: AbortSignal;
  /**
   * Where the exit code is written when the process ends, also if berthd is gone by then: runc
   * runs under a small shell in its own process group that outlives berthd and records it.
   */
  exitFile?: string;
}

export interface ExecProcess {
  /** Host pid of the exec'd process (0 if it was over before runc reported it). */
  pid: number;
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable;
  /** Resolves with the process's exit code (128+n for a signal). */
  wait(): Promise<{ exitCode: number }>;
  /** A TTY exec's window size; absent without a TTY. */
  resize?(height: number, width: number): void;
}

/** `sh -c` script: $1 the exit file, then the runc command; exits with runc's code. */
const RECORD_EXIT = 'f=$1; shift; "$@"; c=$?; echo $c > "$f"; exit $c';

/** An exit code written by the recording shell; null while (or if never) written. */
export async function readExecExitFile(path: string): Promise<number | null> {
  const text = (await readFile(path, 'utf8').catch(() => '')).trim();
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** A process's start time in clock ticks (field 22 of /proc/<pid>/stat); null when it is gone. */
export async function processStartTime(pid: number): Promise<string | null> {
  if (!(pid > 0)) return null;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

/**
 * docker exec through `runc exec`: one runc process per exec, its pipes are the process's stdio.
 * The streams belong to this berthd; with `exitFile` the process and its exit code outlive it.
 * Resolves once the process runs; a missing or unrunnable command rejects with
 * CommandNotFound / CannotInvoke and runc's sentence, like Docker's exec start.
 */
export async function runcExec(runcOpts: RuncOptions, scratchDir: string, id: string, opts: ExecOptions, addCapabilities: readonly string[] = []): Promise<ExecProcess> {
  const tmp = await mkdtemp(join(scratchDir, 'exec-'));
  /*
   * A TTY exec: runc 1.1 accepts --console-socket only with --detach, which would orphan the
   * process and lose its exit code. So runc stays in the foreground with -t, and its stdio is
   * the slave of a pty of ours: runc relays between that and the container's console, puts it
   * in non-canonical mode (no line editing or echo), and resizes the console from it on SIGWINCH.
   */
  const pty: Pty | null = opts.tty ? openPty(opts.consoleSize) : null;
  const pidFile = join(tmp, 'pid');
  const logFile = join(tmp, 'runc.log');
  const args = [...globalArgs(runcOpts), '--log', logFile, '--log-format', 'json', 'exec', '--pid-file', pidFile];
  if (opts.cwd) args.push('--cwd', opts.cwd);
  if (opts.user) {
    args.push('--user', `${opts.user.uid}:${opts.user.gid}`);
    for (const g of opts.user.additionalGids) args.push('--additional-gids', String(g));
  }
  for (const e of opts.env ?? []) args.push('--env', e);
  for (const c of addCapabilities) args.push('--cap', c);
  if (pty) args.push('--tty');
  args.push(id, ...opts.args);

  let child;
  try {
    const [cmd, argv] = opts.exitFile ? ['/bin/sh', ['-c', RECORD_EXIT, 'sh', opts.exitFile, runcOpts.runtimePath, ...args]] : [runcOpts.runtimePath, args];
    child = spawn(cmd, argv, {
      stdio: pty ? [pty.slave, pty.slave, 'pipe'] : [opts.openStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // Its own process group: a signal meant for berthd's group does not reach the exec.
      detached: opts.exitFile !== undefined,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } finally {
    pty?.releaseSlave();
  }
  // Node resumes (and so discards) a child's untouched stdio when it exits; a fast command would
  // lose its output before the caller reads it. Piping at once keeps it, with backpressure.
  if ((!pty && !child.stdout) || !child.stderr) throw new Internal('runc exec pipes were not created');
  const stdout = child.stdout ? child.stdout.pipe(new PassThrough()) : new PassThrough().end();
  const stderr = child.stderr.pipe(new PassThrough());
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    // 'exit', not 'close': the caller may leave stdout unread, and the code is known at exit.
    child.once('exit', (code, sig) => resolve(code ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0)));
  });
  const failure = async (code: number): Promise<Error> => {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    return runcError('exec', id, runcMessage(log) || `runc exec exited with ${code}`);
  };

  // Started = runc wrote the pid file; runc exiting first means the exec itself failed.
  let pid = 0;
  let done: number | null = null;
  void exited.then(
    (c) => (done = c),
    () => (done = -1),
  );
  // Woken by inotify when runc renames its pid file into place, or by runc's exit; a slow poll backs both.
  let wake: (() => void) | null = null;
  let poked = false;
  const poke = (): void => {
    if (wake) wake();
    else poked = true;
  };
  const watcher = watch(tmp, poke);
  watcher.on('error', () => undefined);
  exited.then(poke, poke);
  try {
    for (;;) {
      pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10) || 0;
      if (pid) break;
      if (done !== null) {
        // runc may have written the pid file and finished between our two looks.
        pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10) || 0;
        const log = await readFile(logFile, 'utf8').catch(() => '');
        if (pid || (done !== 255 && !/"level":"error"/.test(log))) break;
        const err = await failure(done);
        pty?.close();
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
      if (!poked) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 20);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = null;
      }
      poked = false;
    }
  } finally {
    watcher.close();
  }

  if (pty) {
    const p = pty;
    // With the recording shell, runc is in the shell's process group (the shell ignores SIGWINCH).
    const winchTarget = child.pid === undefined ? undefined : opts.exitFile ? -child.pid : child.pid;
    // runc's stderr carries only its own complaints (in its log too); the process's is the pty.
    stderr.resume();
    return {
      pid,
      stdin: opts.openStdin ? p.input : null,
      stdout: p.output,
      stderr: new PassThrough().end(),
      resize: (h, w) => {
        p.resize(h, w);
        // runc copies its stdin's size to the console when it gets SIGWINCH.
        if (winchTarget && done === null) process.kill(winchTarget, 'SIGWINCH');
      },
      wait: async () => {
        try {
          const code = await exited;
          return { exitCode: code };
        } finally {
          await p.drained();
          p.close();
          await rm(tmp, { recursive: true, force: true });
        }
      },
    };
  }
  return {
    pid,
    stdin: child.stdin,
    stdout,
    stderr,
    wait: async () => {
      try {
        const code = await exited;
        // 255 with an error in runc's log is runc failing, not the process.
        if (code === 255) {
          const log = await readFile(logFile, 'utf8').catch(() => '');
          if (/"level":"error"/.test(log)) throw await failure(code);
        }
        return { exitCode: code };
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },
  };
}
