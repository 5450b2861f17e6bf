import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';
import { QUOTA_ABI, projectId, qcmd, setProjectId } from '../src/sys/index.js';

/*
 * `docker run --storage-opt size=` as dockerd's overlay2 has it. On a data root that cannot limit a
 * writable layer (this host's ext4; an xfs mounted without project quotas) the create is refused in
 * dockerd's words and nothing is left; a data root on a loop-mounted xfs with `pquota` limits each
 * container's writes. These machines' kernel lacks CONFIG_XFS_QUOTA (xfs refuses `pquota` at mount):
 * there the test asserts that refusal of the mount and berth's refusal on the xfs it can mount, and
 * checks the project-id ioctls berth uses on that xfs.
 */

const REFUSAL = "--storage-opt is supported only for overlay over xfs with 'pquota' mount option";

interface LoopFs {
  dir: string;
  image: string;
  device?: string | undefined;
  mounted?: string | undefined;
}

function makeXfsImage(mb: number): LoopFs {
  const dir = mkdtempSync(join(tmpdir(), 'berth-xfs-'));
  const image = join(dir, 'xfs.img');
  execFileSync('truncate', ['-s', `${mb}M`, image]);
  execFileSync('mkfs.xfs', ['-q', image]);
  return { dir, image };
}

/** Mounts the image on `target` with `opts` through a loop device; the mount's error text when it fails. */
function mountLoop(fs: LoopFs, target: string, opts: string[]): string | undefined {
  fs.device ??= execFileSync('losetup', ['-f', '--show', fs.image], { encoding: 'utf8' }).trim();
  mkdirSync(target, { recursive: true });
  const r = spawnSync('mount', ['-t', 'xfs', ...(opts.length ? ['-o', opts.join(',')] : []), fs.device, target], { encoding: 'utf8' });
  if (r.status !== 0) return `${r.stderr}`;
  fs.mounted = target;
  return undefined;
}

/** Unmounts, detaches the loop device and removes the image, whatever state it is in. */
function dropLoop(fs: LoopFs): void {
  if (fs.mounted && spawnSync('umount', [fs.mounted]).status !== 0) spawnSync('umount', ['-l', fs.mounted]);
  fs.mounted = undefined;
  if (fs.device) spawnSync('losetup', ['-d', fs.device]);
  fs.device = undefined;
  rmSync(fs.dir, { recursive: true, force: true });
}

/** The kernel's own answer: does xfs take project quotas here? */
function kernelHasXfsQuota(): boolean {
  try {
    return !/# CONFIG_XFS_QUOTA is not set/.test(execFileSync('sh', ['-c', 'zcat /proc/config.gz 2>/dev/null || true'], { encoding: 'utf8' }));
  } catch {
    return true;
  }
}

async function refusedLikeDockerd(d: TestDaemon): Promise<void> {
  const r = await d.docker(['run', '--rm', '--network', 'none', '--name', 'sized', '--storage-opt', 'size=20M', 'busybox', 'true']);
  assert.notEqual(r.code, 0, 'a sized container ran where the layer cannot be limited');
  assert.match(r.stderr, new RegExp(REFUSAL.replace(/[-']/g, '.')), r.stderr);
  assert.doesNotMatch(r.stderr, /E[A-Z]{3,}|\/berth-e2e-|backingFsBlockDev/, `no errno or data-root path in: ${r.stderr}`);
  assert.equal((await d.docker(['ps', '-aq'])).stdout.trim(), '', 'the refused create left a container');
  // The same through berth's own CLI.
  const b = await d.berth(['run', '--rm', '--network', 'none', '--storage-opt', 'size=1G', 'busybox', 'true']);
  assert.notEqual(b.code, 0);
  assert.match(b.stderr, /supported only for overlay over xfs with 'pquota' mount option/, b.stderr);
  // Docker's own checks of the option come first, on every filesystem.
  const unknown = await d.docker(['create', '--storage-opt', 'inodes=10', 'busybox']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /Unknown option inodes/, unknown.stderr);
  const bad = await d.docker(['create', '--storage-opt', 'size=lots', 'busybox']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid size: 'lots'/, bad.stderr);
  // A container without a size runs as ever.
  const plain = await d.docker(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/f bs=1M count=30 2>&1 && echo wrote']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /wrote/);
}

test('on this host\'s normal data root the size is refused in dockerd\'s words, and so is a default size', { timeout: 180_000 }, async (t) => {
  const d = await TestDaemon.start();
  t.after(() => d.cleanup());
  await d.makeBusyboxImage();
  await refusedLikeDockerd(d);
  // dockerd will not start with overlay2.size where it cannot hold.
  await assert.rejects(TestDaemon.start({ args: ['--storage-opt', 'overlay2.size=20M'] }), /Storage option overlay2.size not supported. Filesystem does not support Project Quota: the data root(?: is not on xfs|'s filesystem is not mounted with 'pquota')$/m);
  await assert.rejects(TestDaemon.start({ args: ['--storage-opt', 'overlay2.sise=20M'] }), /overlay2: unknown option overlay2.sise/);
});

test('a data root on xfs: limited with pquota where the kernel has it, refused in dockerd\'s words where not', { timeout: 300_000 }, async (t) => {
  const fs = makeXfsImage(300);
  // One cleanup, in order: the daemon's containers and berthd, the mount, the daemon's folders, then the loop device and image.
  let d: TestDaemon | undefined;
  t.after(async () => {
    try {
      if (d) {
        for (const id of (await d.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean)) await d.docker(['rm', '-f', id]);
        await d.stopDaemon();
      }
    } finally {
      dropLoopMountOnly(fs);
      await d?.cleanup();
      dropLoop(fs);
    }
  });
  const probeDir = join(fs.dir, 'probe');
  const mountError = mountLoop(fs, probeDir, ['pquota']);
  if (mountError !== undefined) {
    // Only a kernel without XFS quotas may refuse pquota; then berth meets xfs without them.
    assert.equal(kernelHasXfsQuota(), false, `mount -o pquota failed on a kernel with XFS quotas: ${mountError}`);
    assert.equal(mountLoop(fs, probeDir, []), undefined, 'xfs mounts without pquota');
    // The project-id ioctls berth sets upper dirs with, on this xfs: an id that what is made beneath inherits.
    const dir = join(probeDir, 'p');
    mkdirSync(dir);
    setProjectId(dir, 4242);
    mkdirSync(join(dir, 'sub'));
    assert.equal(projectId(dir), 4242);
    assert.equal(projectId(join(dir, 'sub')), 4242, 'a new dir inherits the project id');
    assert.match(execFileSync('xfs_io', ['-c', 'lsproj', dir], { encoding: 'utf8' }), /projid = 4242/);
    dropLoopMountOnly(fs);
    d = await TestDaemon.start({ beforeSpawn: async (x) => void mustMount(fs, x.dataRoot, []) });
    await d.makeBusyboxImage();
    await refusedLikeDockerd(d);
    return;
  }
  dropLoopMountOnly(fs);
  d = await TestDaemon.start({ beforeSpawn: async (x) => void mustMount(fs, x.dataRoot, ['pquota']) });
  await d.makeBusyboxImage();
  const over = await d.docker(['run', '--name', 'sized', '--network', 'none', '--storage-opt', 'size=20M', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/f bs=1M count=40']);
  assert.notEqual(over.code, 0, 'writing 40 MB into a 20 MB layer succeeded');
  assert.match(`${over.stdout}${over.stderr}`, /Disk quota exceeded|No space left on device/);
  const hc = JSON.parse((await d.docker(['inspect', '-f', '{{json .HostConfig.StorageOpt}}', 'sized'])).stdout) as unknown;
  assert.deepEqual(hc, { size: '20M' });
  const upper = join(d.dataRoot, 'containers', (await d.docker(['inspect', '-f', '{{.Id}}', 'sized'])).stdout.trim(), 'upper');
  const id = projectId(upper);
  assert.ok(id > 0, 'the upper dir has a project id');
  const report = (): string => execFileSync('xfs_quota', ['-x', '-c', `quota -p -N -b ${id}`, d.dataRoot], { encoding: 'utf8' });
  assert.match(report(), /20480/, 'a 20 MiB block limit on the project');
  const free = await d.docker(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/f bs=1M count=40 && echo wrote']);
  assert.equal(free.code, 0, free.stderr);
  assert.equal((await d.docker(['rm', 'sized'])).code, 0);
  assert.doesNotMatch(report(), /20480/, 'rm lifts the project limit');
});

function mustMount(fs: LoopFs, target: string, opts: string[]): void {
  const err = mountLoop(fs, target, opts);
  if (err !== undefined) throw new Error(`mount ${target}: ${err}`);
}

function dropLoopMountOnly(fs: LoopFs): void {
  if (fs.mounted && spawnSync('umount', [fs.mounted]).status !== 0) spawnSync('umount', ['-l', fs.mounted]);
  fs.mounted = undefined;
}

test('the quota structures and requests berth sends match the kernel headers', () => {
  // The limit path cannot run on a kernel without XFS quotas: its ABI is held against linux/fs.h and linux/dqblk_xfs.h.
  const dir = mkdtempSync(join(tmpdir(), 'berth-quota-abi-'));
  try {
    writeFileSync(join(dir, 'abi.c'), `#include <stdio.h>
#include <stddef.h>
#include <linux/fs.h>
#include <linux/dqblk_xfs.h>
#include <linux/quota.h>
#include <sys/quota.h>
int main(void) {
  printf("{\\"FS_IOC_FSGETXATTR\\":%lu,\\"FS_IOC_FSSETXATTR\\":%lu,\\"fsxattrSize\\":%zu,\\"fsxXflagsOffset\\":%zu,\\"fsxProjidOffset\\":%zu,\\"FS_XFLAG_PROJINHERIT\\":%d,",
    (unsigned long)FS_IOC_FSGETXATTR, (unsigned long)FS_IOC_FSSETXATTR, sizeof(struct fsxattr), offsetof(struct fsxattr, fsx_xflags), offsetof(struct fsxattr, fsx_projid), FS_XFLAG_PROJINHERIT);
  printf("\\"fsDiskQuotaSize\\":%zu,\\"dIdOffset\\":%zu,\\"dBlkHardlimitOffset\\":%zu,\\"dBlkSoftlimitOffset\\":%zu,\\"dBcountOffset\\":%zu,",
    sizeof(struct fs_disk_quota), offsetof(struct fs_disk_quota, d_id), offsetof(struct fs_disk_quota, d_blk_hardlimit), offsetof(struct fs_disk_quota, d_blk_softlimit), offsetof(struct fs_disk_quota, d_bcount));
  printf("\\"FS_DQUOT_VERSION\\":%d,\\"FS_PROJ_QUOTA\\":%d,\\"FS_DQ_BSOFT\\":%d,\\"FS_DQ_BHARD\\":%d,\\"PRJQUOTA\\":%d,\\"Q_XGETQUOTA\\":%d,\\"Q_XSETQLIM\\":%d,\\"qcmd\\":%u}",
    FS_DQUOT_VERSION, FS_PROJ_QUOTA, FS_DQ_BSOFT, FS_DQ_BHARD, PRJQUOTA, Q_XGETQUOTA, Q_XSETQLIM, (unsigned)QCMD(Q_XSETQLIM, PRJQUOTA));
  return 0;
}
`);
    // g++ is what scripts/setup installs; it compiles C too.
    execFileSync('g++', ['-x', 'c', '-o', join(dir, 'abi'), join(dir, 'abi.c')]);
    const kernel = JSON.parse(execFileSync(join(dir, 'abi'), { encoding: 'utf8' })) as Record<string, number>;
    assert.deepEqual({ ...QUOTA_ABI, qcmd: qcmd(QUOTA_ABI.Q_XSETQLIM, QUOTA_ABI.PRJQUOTA) }, kernel);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
