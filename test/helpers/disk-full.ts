import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult, TestDaemon } from './daemon.js';

/*
 * A data root on a filesystem of its own: a size-limited tmpfs mounted on the test daemon's data
 * root before berthd starts, filled with a filler file to leave a chosen number of bytes, freed
 * again, unmounted at the end. Shared by test/disk-full.test.ts and bench/reliability.
 */

export function mountSmall(dir: string, mb: number): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m,mode=0711`, 'tmpfs', dir]);
}

export function unmountSmall(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  }
}

export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

const fillerOf = (dir: string): string => join(dir, 'filler');

/** Writes the filler until at most `leave` bytes are free (0: the filesystem is full). */
export function fillTo(dir: string, leave: number): void {
  const fd = openSync(fillerOf(dir), 'a');
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  try {
    for (;;) {
      const free = freeBytes(dir);
      if (free <= leave) break;
      const n = Math.min(chunk.length, free - leave);
      try {
        writeSync(fd, chunk, 0, Math.max(4096, n));
      } catch {
        break;
      }
    }
  } finally {
    closeSync(fd);
  }
}

export function unfill(dir: string): void {
  rmSync(fillerOf(dir), { force: true });
}

/** Bytes under one folder of the data root (blobs, layers): what a failed operation must give back. */
export function bytesUnder(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  const walk = (p: string): void => {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      const q = join(p, e.name);
      if (e.isDirectory()) walk(q);
      else if (e.isFile()) total += statSync(q).size;
    }
  };
  walk(dir);
  return total;
}

/** What is wrong with a disk-full error as a user reads it; empty when it is clear. */
export function diskFullErrorFaults(d: TestDaemon, r: RunResult, what: string): string[] {
  const text = `${r.stderr}\n${r.stdout}`;
  const out: string[] = [];
  if (r.code === 0) out.push(`${what} succeeded on a full disk`);
  if (!/no space left on device/i.test(text)) out.push(`${what}: the error does not say "no space left on device": ${text.trim().slice(0, 300)}`);
  if (/\bENOSPC\b/.test(text)) out.push(`${what}: the error shows the raw errno: ${text.trim().slice(0, 300)}`);
  if (/database or disk is full/.test(text)) out.push(`${what}: the error is SQLite's: ${text.trim().slice(0, 300)}`);
  if (text.includes(d.dataRoot)) out.push(`${what}: the error names a path in the data root: ${text.trim().slice(0, 300)}`);
  if (/\n\s+at .+:\d+:\d+\)?/.test(text)) out.push(`${what}: the error carries a stack trace`);
  return out;
}
