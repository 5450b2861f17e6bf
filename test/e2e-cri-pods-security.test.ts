import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { leftoverMounts } from './helpers/daemon.js';
import { CriClient, status } from './helpers/cri.js';
import { containerConfig, createStarted, execFileP, failed, netnsFiles, podStatus, pods, runPod, runningStatus, upgraded, usePodsFixture, type Msg } from './helpers/cri-pods.js';
import { openCommandStreams, readAll, spdyConnect } from '../src/server/cri/streaming/index.js';

/*
 * Pods and containers with more than the defaults, as kubelet asks for them: privileged ones,
 * the host's PID and IPC namespaces, masked and read-only paths of their own, mount propagation
 * (private, host to container, both ways), and an exec of a command that is not there.
 */
usePodsFixture();

type Out = { stdout: Buffer; stderr: Buffer; exit_code: number };
async function sh(c: string, cmd: string): Promise<Out> {
  return CriClient.ok(await pods.cri.rt('ExecSync', { container_id: c, cmd: ['sh', '-c', cmd], timeout: 10 })) as Out;
}
const pause = 'exec sleep 1000';
const priv = (extra: Msg = {}): Msg => ({ linux: { security_context: { privileged: true, ...extra } } });

test('a privileged pod runs privileged containers: every capability, no seccomp filter, the host\'s devices, writable /sys, nothing masked', async () => {
  const pod = await runPod('priv', priv({ namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } }));
  const c = await createStarted(pod, containerConfig('all', pause, priv({ seccomp: { profile_type: 'RuntimeDefault' } })));
  await runningStatus(c);
  const status1 = (await sh(c, 'grep -E "^(CapEff|Seccomp):" /proc/self/status')).stdout.toString();
  // CAP_SYS_ADMIN (21) and CAP_NET_ADMIN (12) among them; no filter although RuntimeDefault was named.
  const capEff = BigInt(`0x${/CapEff:\s+(\w+)/.exec(status1)?.[1] ?? '0'}`);
  assert.notEqual(capEff & (1n << 21n), 0n, status1);
  assert.notEqual(capEff & (1n << 12n), 0n, status1);
  assert.match(status1, /Seccomp:\s+0/);
  // A device of the host's beyond runc's defaults is there, with the host's numbers.
  const runcs = ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'console', 'ptmx'];
  const hostDev = (await readdir('/dev')).find((n) => !runcs.includes(n) && statSync(`/dev/${n}`, { throwIfNoEntry: false })?.isCharacterDevice());
  assert.ok(hostDev, 'the host has a device beyond runc\'s defaults');
  const inside = (await sh(c, `stat -c '%t:%T' /dev/${hostDev}`)).stdout.toString().trim();
  const outside = (await execFileP('stat', ['-c', '%t:%T', `/dev/${hostDev}`])).stdout.trim();
  assert.equal(inside, outside);
  const mounts = (await sh(c, 'cat /proc/self/mounts')).stdout.toString();
  assert.match(mounts, /^sysfs \/sys sysfs rw,/m);
  assert.doesNotMatch(mounts, / \/proc\/keys /);
  // It may manage the pod's network: an address added to its loopback.
  assert.equal((await sh(c, 'ip addr add 127.0.0.9/8 dev lo && echo ok')).stdout.toString(), 'ok\n');

  // An unprivileged container of the same pod keeps the defaults.
  const plain = await createStarted(pod, containerConfig('plain', pause));
  await runningStatus(plain);
  const pm = (await sh(plain, 'cat /proc/self/mounts')).stdout.toString();
  assert.match(pm, /^sysfs \/sys sysfs ro,/m);
  assert.match(pm, / \/proc\/keys /);
  assert.equal((await sh(plain, `test -e /dev/${hostDev} && echo there || echo absent`)).stdout.toString(), 'absent\n');
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));

  // As containerd: a privileged container in a pod that is not is refused, naming the field.
  const unpriv = await runPod('unpriv');
  const r = failed(await pods.cri.rt('CreateContainer', { pod_sandbox_id: unpriv, config: containerConfig('nope', pause, priv()) }));
  assert.equal(r.code, status.INVALID_ARGUMENT);
  assert.match(r.details, /privileged needs a privileged pod sandbox/);
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: unpriv }));
});

test('host PID and IPC: the pod\'s containers are in the host\'s namespaces, the status says NODE, the pod holds no IPC namespace', async () => {
  const nso = { namespace_options: { network: 'POD', pid: 'NODE', ipc: 'NODE' } };
  const pod = await runPod('hostns', { linux: { security_context: nso } });
  const st = (await podStatus(pod)) as { linux: { namespaces: { options: { pid: string; ipc: string } } } };
  assert.deepEqual([st.linux.namespaces.options.pid, st.linux.namespaces.options.ipc], ['NODE', 'NODE']);
  assert.deepEqual((await readdir(join(pods.d.execRoot, 'pods', pod))).sort(), ['net', 'uts']);
  const c = await createStarted(pod, containerConfig('seer', pause, { linux: { security_context: nso } }));
  await runningStatus(c);
  const ns = (await sh(c, 'for n in pid ipc uts; do readlink /proc/self/ns/$n; done')).stdout.toString().trim().split('\n');
  const host = await Promise.all(['pid', 'ipc', 'uts'].map(async (n) => (await execFileP('readlink', [`/proc/self/ns/${n}`])).stdout.trim()));
  assert.deepEqual(ns.slice(0, 2), host.slice(0, 2));
  assert.notEqual(ns[2], host[2], 'the UTS namespace is still the pod\'s');
  // The host's processes are seen: berthd among them.
  assert.equal((await sh(c, `test -d /proc/${pods.d.proc?.pid ?? 0} && echo seen`)).stdout.toString(), 'seen\n');
  // The host's /dev/shm: a file made there shows outside.
  const name = `berth-hostipc-${process.pid}`;
  await sh(c, `echo hi > /dev/shm/${name}`);
  try {
    assert.equal(await readFile(`/dev/shm/${name}`, 'utf8'), 'hi\n');
  } finally {
    await rm(`/dev/shm/${name}`, { force: true });
  }
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  assert.deepEqual(await netnsFiles(), []);
});

test('masked_paths and readonly_paths of the container\'s own replace the defaults', async () => {
  const pod = await runPod('paths');
  const c = await createStarted(pod, containerConfig('own', pause, { linux: { security_context: { masked_paths: ['/proc/cpuinfo'], readonly_paths: ['/tmp'] } } }));
  await runningStatus(c);
  assert.equal((await sh(c, 'cat /proc/cpuinfo | wc -c')).stdout.toString().trim(), '0');
  const touch = await sh(c, 'touch /tmp/x');
  assert.notEqual(touch.exit_code, 0);
  assert.equal(touch.stderr.toString(), 'touch: /tmp/x: Read-only file system\n');
  const mounts = (await sh(c, 'cat /proc/self/mounts')).stdout.toString();
  assert.doesNotMatch(mounts, / \/proc\/keys /, 'the default masks are replaced, not added to');
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
});

test('mount propagation in a privileged pod: rprivate sees nothing, rslave sees the host\'s mounts, rshared both ways', async () => {
  const pod = await runPod('prop', priv());
  const root = await mkdtemp(join(tmpdir(), 'berth-prop-'));
  const made: string[] = [];
  try {
    const results: Record<string, { inContainer: number; onHost: number }> = {};
    for (const [prop, host] of [['PROPAGATION_PRIVATE', 'private'], ['PROPAGATION_HOST_TO_CONTAINER', 'shared'], ['PROPAGATION_BIDIRECTIONAL', 'shared']] as const) {
      const dir = join(root, prop);
      const mnt = join(dir, 'mnt');
      const src = join(dir, 'src');
      await mkdir(join(mnt, 'fromhost'), { recursive: true });
      await mkdir(src, { recursive: true });
      await writeFile(join(src, 'flag'), '');
      await execFileP('mount', ['--bind', mnt, mnt]);
      made.push(mnt);
      await execFileP('mount', [`--make-r${host}`, mnt]);
      const c = await createStarted(pod, containerConfig(prop.toLowerCase().replace(/_/g, '-'), pause, { ...priv(), mounts: [{ host_path: mnt, container_path: mnt, propagation: prop }] }));
      await runningStatus(c);
      // A mount on the host, after the container started…
      await execFileP('mount', ['--bind', src, join(mnt, 'fromhost')]);
      made.push(join(mnt, 'fromhost'));
      const inContainer = (await sh(c, `ls -A ${mnt}/fromhost`)).stdout.toString().trim().split('\n').filter(Boolean).length;
      // …and one in the container.
      const out = await sh(c, `mkdir -p ${mnt}/fromcontainer && mount --bind /etc ${mnt}/fromcontainer && echo ok`);
      assert.equal(out.stdout.toString(), 'ok\n', out.stderr.toString());
      made.push(join(mnt, 'fromcontainer'));
      const onHost = (await readdir(join(mnt, 'fromcontainer'))).length;
      results[prop] = { inContainer, onHost };
    }
    assert.deepEqual(results['PROPAGATION_PRIVATE'], { inContainer: 0, onHost: 0 });
    assert.equal(results['PROPAGATION_HOST_TO_CONTAINER']?.onHost, 0);
    assert.ok((results['PROPAGATION_HOST_TO_CONTAINER']?.inContainer ?? 0) > 0, JSON.stringify(results));
    assert.ok((results['PROPAGATION_BIDIRECTIONAL']?.inContainer ?? 0) > 0, JSON.stringify(results));
    assert.ok((results['PROPAGATION_BIDIRECTIONAL']?.onHost ?? 0) > 0, JSON.stringify(results));
    // A source that is not on a shared mount cannot propagate: the start is refused, in Docker's words.
    const plain = join(root, 'plain');
    await mkdir(plain);
    const created = CriClient.ok(await pods.cri.rt('CreateContainer', { pod_sandbox_id: pod, config: containerConfig('unshared', pause, { ...priv(), mounts: [{ host_path: plain, container_path: '/m', propagation: 'PROPAGATION_BIDIRECTIONAL' }] }) })) as { container_id: string };
    pods.d.seenIds.add(created.container_id);
    const refused = failed(await pods.cri.rt('StartContainer', { container_id: created.container_id }));
    assert.equal(refused.code, status.INVALID_ARGUMENT);
    assert.match(refused.details, /path .*plain is mounted on \S+ but it is not a shared mount/);
  } finally {
    CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
    for (const m of made.reverse()) await execFileP('umount', ['-l', m]).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
  assert.deepEqual(await leftoverMounts(root), []);
});

test('an exec of a command that is not there: ExecSync fails as containerd\'s (UNKNOWN, "failed to exec in container"), Exec reports it on the error stream', async () => {
  const pod = await runPod('noexec');
  const c = await createStarted(pod, containerConfig('here', pause));
  await runningStatus(c);
  const r = failed(await pods.cri.rt('ExecSync', { container_id: c, cmd: ['no-such-command', '-m'], timeout: 10 }));
  assert.equal(r.code, status.UNKNOWN);
  assert.match(r.details, /^failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: .*executable file not found in \$PATH/);
  const { url } = CriClient.ok(await pods.cri.rt('Exec', { container_id: c, cmd: ['no-such-command'], stdout: true, stderr: true })) as { url: string };
  const session = upgraded(await spdyConnect(url, ['v4.channel.k8s.io']));
  const s = await openCommandStreams(session.session, { stdin: false, stdout: true, stderr: true, resize: false });
  const verdict = JSON.parse((await readAll(s.error)).toString()) as { status: string; message: string };
  assert.equal(verdict.status, 'Failure');
  // kubelet's streaming server's wrapping around containerd's words.
  assert.match(verdict.message, /^Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: .*executable file not found in \$PATH/);
  // The container is unharmed.
  assert.equal((await sh(c, 'echo still')).stdout.toString(), 'still\n');
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
});
