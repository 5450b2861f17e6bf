import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { createRuntime } from '../../src/core/runtime/index.js';
import type { ContainerSpecInput, Runtime } from '../../src/core/runtime/index.js';
import { makeBusyboxRootfs } from './busybox.js';

export interface RuntimeFixture {
  readonly rt: Runtime;
  readonly rootfs: string;
  readonly dir: string;
  readonly seq: number;
  input(args: string[], over?: Partial<ContainerSpecInput>): ContainerSpecInput;
}

/**
 * A runtime on a private state dir with a busybox rootfs, for one test file: registers the hooks
 * that make it and that check, afterwards, that no runc state, process, cgroup or mount is left.
 */
export function runtimeFixture(prefix: string, opts: { runtimePath?: () => string } = {}): RuntimeFixture {
  let dir = '';
  let rootfs = '';
  let rt: Runtime | undefined;
  let seq = 0;
  const ids = new Set<string>();

  before(() => {
    // realpath: runc refuses a rootfs reached through a symlink.
    dir = realpathSync(mkdtempSync(join(tmpdir(), `berth-rt-${prefix}-`)));
    rootfs = join(dir, 'rootfs');
    mkdirSync(rootfs);
    makeBusyboxRootfs(rootfs);
    rt = createRuntime({ stateDir: join(dir, 'state'), ...(opts.runtimePath ? { runtimePath: opts.runtimePath() } : {}) });
  });

  after(async () => {
    try {
      if (rt) for (const id of await rt.list()) await rt.delete(id, { force: true }).catch(() => undefined);
      assertNothingLeft(dir, [...ids]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  return {
    get rt() {
      if (!rt) throw new Error('the runtime fixture is used before its before() hook ran');
      return rt;
    },
    get rootfs() {
      return rootfs;
    },
    get dir() {
      return dir;
    },
    get seq() {
      return seq;
    },
    input(args, over = {}) {
      const id = `${prefix}${process.pid}x${++seq}`;
      ids.add(id);
      const bundleDir = join(dir, 'bundles', id);
      mkdirSync(bundleDir, { recursive: true });
      return {
        id,
        rootfs,
        bundleDir,
        args,
        env: [],
        cwd: '/',
        user: { uid: 0, gid: 0, additionalGids: [] },
        hostname: 'berthtest',
        tty: false,
        openStdin: false,
        network: { mode: 'none' },
        ...over,
      };
    },
  };
}

function assertNothingLeft(stateRoot: string, all: string[]): void {
  const runcState = join(stateRoot, 'state', 'runc');
  assert.deepEqual(existsSync(runcState) ? readdirSync(runcState) : [], [], 'runc state left');
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    if (st !== 'Z') assert.ok(!cmd.includes(stateRoot), `process ${pid} still runs: ${cmd.replace(/\0/g, ' ')}`);
  }
  for (const ctl of readdirSync('/sys/fs/cgroup')) {
    for (const id of all) assert.ok(!existsSync(join('/sys/fs/cgroup', ctl, 'berth', id)), `cgroup ${ctl}/berth/${id} left`);
  }
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(stateRoot), 'a mount under the test dir is left');
}
