import { execFile } from 'node:child_process';
import { CannotInvoke, CommandNotFound, Conflict, NotFound, Unavailable } from '../../errdefs/index.js';

/** The message inside runc's logrus line (`time=… level=error msg="…"`), or the text as is. */
export function runcMessage(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const msgs: string[] = [];
  for (const line of lines) {
    if (line.startsWith('{')) {
      try {
        const j = JSON.parse(line) as { msg?: unknown; level?: unknown };
        if (typeof j.msg === 'string' && j.level === 'error') msgs.push(j.msg);
        continue;
      } catch {
        /* not JSON: fall through */
      }
    }
    const m = /level=error msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m?.[1] !== undefined) msgs.push(m[1].replace(/\\(.)/g, '$1'));
    else if (!/level=(warning|info|debug)/.test(line)) msgs.push(line);
  }
  return msgs.join(': ') || stderr.trim();
}

/**
 * Maps runc's failure text to berth's error classes. Exec failures get Docker's wording
 * ("failed to create task for container: … exec: "x": executable file not found in $PATH").
 */
export function runcError(op: string, id: string, message: string, cause?: unknown): Error {
  const opts = cause === undefined ? {} : { cause };
  if (/executable file not found|no such file or directory/.test(message) && /exec/.test(message)) {
    return new CommandNotFound(`failed to create task for container: OCI runtime ${op} failed: ${message}: unknown`, opts);
  }
  if (/permission denied|exec format error|is a directory/.test(message) && /exec/.test(message)) {
    return new CannotInvoke(`failed to create task for container: OCI runtime ${op} failed: ${message}: unknown`, opts);
  }
  if (/container with id exists/.test(message)) return new Conflict(`container ${id} already exists in the runtime`, opts);
  if (/container does not exist|does not exist/.test(message)) {
    return new NotFound(`No such container: ${id}`, opts);
  }
  if (/not running|container not running|cannot (kill|pause|resume)|is not paused|is paused|already paused|stopped/.test(message)) {
    return new Conflict(`Container ${id} is not running`, opts);
  }
  return new Unavailable(`OCI runtime ${op} failed for container ${id}: ${message}`, opts);
}

export interface RuncOptions {
  runtimePath: string;
  root: string;
  /** The runtime's own global options (daemon.json `runtimeArgs`), before berth's. */
  globalArgs?: readonly string[];
  /** runc's state.json can be read without spawning it (another runtime keeps other files). */
  runcStateFiles?: boolean;
}

/** The arguments before a subcommand: the runtime's own options, then its state root. */
export function globalArgs(opts: RuncOptions): string[] {
  return [...(opts.globalArgs ?? []), '--root', opts.root];
}

/** Runs one runc subcommand; resolves with stdout, rejects with a mapped berth error. */
export function runc(opts: RuncOptions, args: string[], id: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      opts.runtimePath,
      [...globalArgs(opts), ...args],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, ...(signal ? { signal } : {}) },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !stderr) {
          return reject(new Unavailable(`OCI runtime not found at ${opts.runtimePath}`, { cause: err }));
        }
        if (err.name === 'AbortError') return reject(err);
        reject(runcError(args[0] ?? 'runc', id, runcMessage(stderr) || err.message, err));
      },
    );
  });
}
