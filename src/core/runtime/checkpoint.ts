import { execFile } from 'node:child_process';
import { access, constants, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { release } from 'node:os';
import { Unavailable } from '../../errdefs/index.js';
import { globalArgs, runcMessage, type RuncOptions } from './runc.js';

/** Where runc looks for criu (it runs `criu` from PATH); berthd's PATH may lack the sbin folders. */
const CRIU_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/sbin', '/bin'];

export interface CheckpointOptions {
  /** The checkpoint's folder: CRIU's image files go there. */
  imagePath: string;
  /** The container keeps running after its state is saved (docker checkpoint create --leave-running). */
  leaveRunning: boolean;
}

/** The criu binary runc will run, or a refusal that says CRIU is missing. */
export async function requireCriu(): Promise<string> {
  for (const dir of CRIU_DIRS) {
    const p = join(dir, 'criu');
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  throw new Unavailable('checkpoint and restore need CRIU, which is not installed on this host (Debian package "criu")');
}

let criuVersion: Promise<string> | undefined;

/** `criu --version`'s "Version: 3.17.1", once per berthd. */
function versionOf(criu: string): Promise<string> {
  criuVersion ??= new Promise((resolve) => {
    execFile(criu, ['--version'], { encoding: 'utf8' }, (_err, stdout) => resolve(/Version:\s*(\S+)/.exec(stdout)?.[1] ?? ''));
  });
  return criuVersion;
}

/**
 * CRIU's reason, from its log (dump.log, restore.log), in a sentence: its `Error (file:line): …`
 * lines without the times and source places, the first one being the cause. A CRIU that cannot
 * read this kernel's features fails every checkpoint and restore, and `criu check` says the same:
 * that is said as such, with the versions, so the user knows no option will help.
 */
export function criuFailure(op: 'checkpoint' | 'restore', log: string, versions: { criu: string; kernel: string }): string {
  const errors = log
    .split('\n')
    .map((l) => /Error \([^)]*\):\s*(.*)$/.exec(l)?.[1]?.trim())
    .filter((m): m is string => !!m);
  const criu = versions.criu ? `CRIU ${versions.criu}` : 'CRIU';
  if (errors.length === 0) return `${criu} could not ${op} the container (it left no reason in its log)`;
  const cause = errors[0] as string;
  if (errors.some((e) => /kerndat|kernel features detection/.test(e))) {
    const why = /vDSO/i.test(cause) ? ` (${cause}: this kernel's vDSO layout is newer than ${criu} knows; a newer CRIU is needed)` : ` (${cause})`;
    return `${criu} cannot ${op} containers on this kernel (${versions.kernel}): it fails to detect the kernel's features${why}; "criu check" fails the same way`;
  }
  return `${criu} could not ${op} the container: ${cause}`;
}

/** The reason in CRIU's log file, or the runtime's own words when CRIU left none. */
export async function criuError(op: 'checkpoint' | 'restore', logFile: string, runtimeMessage: string, cause: unknown): Promise<Error> {
  const log = await readFile(logFile, 'utf8').catch(() => '');
  const criu = await requireCriu().then(versionOf, () => '');
  if (!log) {
    // runc reads the checkpoint's descriptors.json (the stdio it had) before CRIU runs.
    if (/descriptors\.json: no such file/.test(runtimeMessage)) return new Unavailable('the checkpoint is incomplete: it has no descriptors.json (it was not made by runc checkpoint)', { cause });
    const said = runtimeMessage.replace(/\s*log file: \S+/g, '').replace(/^OCI runtime \w+ failed for container [0-9a-f]+: /, '').trim();
    return new Unavailable(`OCI runtime ${op} failed: ${said}`, { cause });
  }
  return new Unavailable(criuFailure(op, log, { criu, kernel: release() }), { cause });
}

/**
 * `runc checkpoint`: CRIU writes the container's processes into `imagePath`. Its log goes to a
 * work folder of the runtime's (kept after a failure, for the operator), never into the checkpoint.
 */
export async function runcCheckpoint(rt: RuncOptions, id: string, workPath: string, opts: CheckpointOptions, signal?: AbortSignal): Promise<void> {
  await requireCriu();
  await rm(workPath, { recursive: true, force: true });
  await mkdir(workPath, { recursive: true, mode: 0o700 });
  const args = ['checkpoint', '--image-path', opts.imagePath, '--work-path', workPath, ...(opts.leaveRunning ? ['--leave-running'] : []), id];
  await new Promise<void>((resolve, reject) => {
    execFile(rt.runtimePath, [...globalArgs(rt), ...args], { encoding: 'utf8', ...(signal ? { signal } : {}) }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      criuError('checkpoint', join(workPath, 'dump.log'), runcMessage(stderr) || err.message, err).then(reject, reject);
    });
  });
}
