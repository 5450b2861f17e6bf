import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

/** The applets of the host's static busybox, e.g. ['sh', 'echo', 'ls', …]. */
export function busyboxApplets(): string[] {
  return execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((s) => s && s !== 'busybox');
}

/**
 * Fills `dir` with a minimal root filesystem: /bin/busybox with every applet linked in /bin,
 * /etc/passwd and /etc/group (root, nobody, and a user "berth" 1000:1000), and empty
 * /tmp /proc /sys /dev /root /home/berth directories.
 */
export function makeBusyboxRootfs(dir: string): void {
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'home/berth']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  for (const applet of busyboxApplets()) {
    try {
      symlinkSync('busybox', join(dir, 'bin', applet));
    } catch {
      /* duplicate applet names are harmless */
    }
  }
  writeFileSync(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nberth:x:1000:1000:berth:/home/berth:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nberth:x:1000:\nnogroup:x:65534:\n');
}

/** A gzip-less tar of `dir` made with GNU tar (for tests only: berth's own tar codec is under test elsewhere). */
export function tarDirectory(dir: string, out: string): void {
  execFileSync('tar', ['--numeric-owner', '-C', dir, '-cf', out, '.']);
}

/** Writes `files` (relative path → text) under `dir`, making the directories; returns `dir`. */
export function writeTree(dir: string, files: Record<string, string>): string {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/**
 * A busybox rootfs under `sb`/src as one layer in three forms: plain tar, gzip and zstd (by the
 * host's tools), with the plain tar's sha256 (its diff ID).
 */
export function busyboxLayerFiles(sb: string): { plain: string; files: [string, string, string]; diffId: string } {
  const src = join(sb, 'src');
  mkdirSync(src);
  makeBusyboxRootfs(src);
  const plain = join(sb, 'layer.tar');
  tarDirectory(src, plain);
  execFileSync('gzip', ['-k', plain]);
  execFileSync('zstd', ['-q', '-k', plain, '-o', `${plain}.zst`]);
  const diffId = `sha256:${execFileSync('sha256sum', [plain], { encoding: 'utf8' }).split(' ')[0]}`;
  return { plain, files: [plain, `${plain}.gz`, `${plain}.zst`], diffId };
}
