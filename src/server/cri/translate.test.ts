import { test } from 'node:test';
import { hostname } from 'node:os';
import assert from 'node:assert/strict';
import { newContainerRecord, type SandboxRecord } from '../../services/index.js';
import { sandboxRequest } from './sandboxes.js';
import { containerInput, resourcesOf } from './translate.js';

const pod: SandboxRecord = {
  id: 'p'.repeat(64),
  key: 'web_default_u1_0',
  metadata: { name: 'web', uid: 'u1', namespace: 'default', attempt: 0 },
  hostname: 'web',
  logDirectory: '/var/log/pods/default_web_u1',
  labels: {},
  annotations: {},
  dns: { servers: ['10.96.0.10'], search: ['svc.cluster.local'], options: ['ndots:5'] },
  hostNetwork: false,
  sharedPid: false,
  portMappings: [],
  sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
  cgroupParent: '/kubepods/besteffort/podu1',
  runtimeHandler: '',
  namespaces: { net: '/run/berth/pods/p/net', ipc: '/run/berth/pods/p/ipc', uts: '/run/berth/pods/p/uts' },
  state: 'ready',
  createdNs: '1',
};

const base = { metadata: { name: 'app', attempt: 2 }, image: { image: 'busybox:latest' }, log_path: 'app/2.log' };

test('a ContainerConfig over the image comes to the record\'s one spec: command over the entrypoint, args over cmd, stdin, labels, the pod\'s host name', async () => {
  const image = { id: 'sha256:abc', chainIds: [], config: { Entrypoint: ['/entry'], Cmd: ['serve'], Env: ['PATH=/bin', 'A=img'], Labels: { from: 'image' }, ExposedPorts: { '80/tcp': {} } } };
  const make = async (c: Record<string, unknown>) => newContainerRecord((await containerInput({ ...base, ...c }, pod, 'sha256:abc', 'k8s.io')).input, image, 'n', 'overlay').spec;
  const own = await make({ command: ['sh'], args: ['-c', 'true'], envs: [{ key: 'A', value: 'b' }], working_dir: '/w', labels: { l: 'v' }, stdin: true, stdin_once: true, tty: true });
  assert.deepEqual(own.process, { args: ['sh', '-c', 'true'], entrypoint: ['sh'], command: ['-c', 'true'], env: ['PATH=/bin', 'A=b'], cwd: '/w', user: '', terminal: true, stdin: { open: true, once: true } });
  assert.deepEqual(own.labels, { from: 'image', l: 'v' });
  assert.equal(own.networking.hostname, 'web');
  assert.deepEqual(own.networking.exposedPorts, ['80/tcp']);
  assert.equal(own.rootfs.image, 'sha256:abc');
  assert.equal(own.lifecycle.stopSignal, 'SIGTERM');
  // Only args: the image's entrypoint runs them, as kubelet means it.
  assert.deepEqual((await make({ args: ['x'] })).process.args, ['/entry', 'x']);
  // Only command: the image's cmd is dropped.
  assert.deepEqual((await make({ command: ['/bin/true'] })).process.args, ['/bin/true']);
});

test('a ContainerConfig joins the pod: its namespaces by path, DNS, sysctls, cgroup parent; the log at log_directory + log_path', async () => {
  const { input, view } = await containerInput({ ...base, command: ['sh'], args: ['-c', 'true'], envs: [{ key: 'A', value: 'b=c' }], working_dir: '/w', labels: { l: 'v' } }, pod, 'sha256:abc', 'k8s.io');
  assert.equal(input.name, 'app_web_default_u1_2');
  assert.equal(input.namespace, 'k8s.io');
  assert.equal(input.pod, pod.id);
  assert.deepEqual(input.entrypoint, ['sh']);
  assert.deepEqual(input.cmd, ['-c', 'true']);
  assert.deepEqual(input.env, ['A=b=c']);
  assert.equal(input.workingDir, '/w');
  assert.equal(input.hostname, 'web');
  assert.deepEqual(input.spec.namespaces.network, { mode: 'path', path: '/run/berth/pods/p/net' });
  assert.deepEqual(input.spec.namespaces.ipc, { mode: 'path', path: '/run/berth/pods/p/ipc' });
  assert.deepEqual(input.spec.namespaces.uts, { mode: 'path', path: '/run/berth/pods/p/uts' });
  assert.deepEqual(input.spec.networking.dns, pod.dns);
  assert.deepEqual(input.spec.security.sysctls, pod.sysctls);
  assert.equal(input.spec.resources.cgroupParent, '/kubepods/besteffort/podu1');
  assert.equal(input.spec.logging.path, '/var/log/pods/default_web_u1/app/2.log');
  assert.deepEqual(view.labels, { l: 'v' });
  // No seccomp profile asked for: unconfined, as kubelet means it.
  assert.deepEqual(input.spec.security.seccomp, { mode: 'unconfined' });
});

test('without command or args the image decides; RuntimeDefault seccomp is berth\'s default profile', async () => {
  const { input } = await containerInput({ ...base, linux: { security_context: { seccomp: { profile_type: 'RuntimeDefault' } } } }, pod, 'sha256:abc', 'k8s.io');
  assert.equal(input.entrypoint, undefined);
  assert.equal(input.cmd, undefined);
  assert.deepEqual(input.spec.security.seccomp, { mode: 'default' });
});

test('what berth does not run is refused naming the field', async () => {
  const refused = async (config: Record<string, unknown>, field: RegExp): Promise<void> => {
    await assert.rejects(containerInput({ ...base, ...config }, pod, 'sha256:abc', 'k8s.io'), (e: Error) => e.name === 'InvalidArgument' && field.test(e.message));
  };
  await refused({ metadata: null }, /metadata/);
  await refused({ mounts: [{ container_path: 'rel', host_path: '/x' }] }, /container_path/);
  await refused({ mounts: [{ container_path: '/d', host_path: '/x', propagation: 'PROPAGATION_SIDEWAYS' }] }, /propagation/);
  await refused({ linux: { security_context: { masked_paths: ['proc/kcore'] } } }, /masked_paths and readonly_paths entry "proc\/kcore" must be an absolute path/);
  await refused({ linux: { security_context: { namespace_options: { pid: 'TARGET', target_id: 'c' } } } }, /pid TARGET/);
  // As containerd: a privileged container only in a privileged sandbox.
  await refused({ linux: { security_context: { privileged: true } } }, /privileged needs a privileged pod sandbox/);
  await refused({ linux: { security_context: { apparmor: { profile_type: 'Localhost', localhost_ref: 'p' } } } }, /apparmor/);
  await refused({ linux: { security_context: { capabilities: { add_ambient_capabilities: ['NET_ADMIN'] } } } }, /ambient/);
  await refused({ linux: { resources: { hugepage_limits: [{ page_size: '2MB', limit: '1' }] } } }, /hugepage_limits/);
  await refused({ linux: { resources: { oom_score_adj: '2000' } } }, /oom_score_adj/);
  await refused({ linux: { security_context: { run_as_group: { value: '1003' } } } }, /run_as_group is given without run_as_user/);
});

test('masked_paths and readonly_paths: taken as given; none given keeps the runtime\'s defaults', async () => {
  const given = await containerInput({ ...base, linux: { security_context: { masked_paths: ['/proc/kcore', '/secret'], readonly_paths: ['/proc/sys'] } } }, pod, 'sha256:abc', 'k8s.io');
  assert.deepEqual(given.input.spec.security.maskedPaths, ['/proc/kcore', '/secret']);
  assert.deepEqual(given.input.spec.security.readonlyPaths, ['/proc/sys']);
  const none = await containerInput(base, pod, 'sha256:abc', 'k8s.io');
  assert.equal(none.input.spec.security.maskedPaths, undefined);
  assert.equal(none.input.spec.security.readonlyPaths, undefined);
});

test('a privileged container in a privileged pod: privileged, no seccomp filter, AppArmor unconfined, whatever profile it names', async () => {
  const priv = { ...pod, privileged: true };
  const { input } = await containerInput({ ...base, linux: { security_context: { privileged: true, seccomp: { profile_type: 'RuntimeDefault' } } } }, priv, 'sha256:abc', 'k8s.io');
  assert.equal(input.spec.security.privileged, true);
  assert.deepEqual(input.spec.security.seccomp, { mode: 'unconfined' });
  assert.equal(input.spec.security.apparmor, 'unconfined');
  // An unprivileged container of a privileged pod stays unprivileged.
  const plain = await containerInput({ ...base, linux: { security_context: { seccomp: { profile_type: 'RuntimeDefault' } } } }, priv, 'sha256:abc', 'k8s.io');
  assert.equal(plain.input.spec.security.privileged, false);
  assert.deepEqual(plain.input.spec.security.seccomp, { mode: 'default' });
});

test('host PID and IPC: the container is in the host\'s namespaces (none joined by path)', async () => {
  const host = { ...pod, hostPid: true, hostIpc: true, namespaces: { net: pod.namespaces.net ?? '', uts: pod.namespaces.uts } };
  const { input } = await containerInput({ ...base, linux: { security_context: { namespace_options: { pid: 'NODE', ipc: 'NODE', network: 'POD' } } } }, host, 'sha256:abc', 'k8s.io');
  assert.deepEqual(input.spec.namespaces.pid, { mode: 'host' });
  assert.deepEqual(input.spec.namespaces.ipc, { mode: 'host' });
  assert.deepEqual(input.spec.namespaces.uts, { mode: 'path', path: '/run/berth/pods/p/uts' });
  // Without namespace options of its own, the pod's choice holds.
  const bare = await containerInput(base, host, 'sha256:abc', 'k8s.io');
  assert.deepEqual(bare.input.spec.namespaces.pid, { mode: 'host' });
  assert.deepEqual(bare.input.spec.namespaces.ipc, { mode: 'host' });
  const own = await containerInput(base, pod, 'sha256:abc', 'k8s.io');
  assert.deepEqual(own.input.spec.namespaces.pid, { mode: 'private' });
});

test('PodSandboxConfig: metadata required; host PID, host IPC and privileged kept; TARGET and systemd cgroups refused; a shared PID namespace and host ports kept', () => {
  const md = { metadata: { name: 'p', uid: 'u', namespace: 'n', attempt: 1 } };
  assert.throws(() => sandboxRequest({ hostname: 'x' }, ''), /no metadata/);
  assert.throws(() => sandboxRequest({ metadata: { name: 'p' } }, ''), /metadata.name, metadata.uid and metadata.namespace/);
  const host = sandboxRequest({ ...md, linux: { security_context: { privileged: true, namespace_options: { pid: 'NODE', ipc: 'NODE' } } } }, '');
  assert.deepEqual([host.hostPid, host.hostIpc, host.privileged, host.sharedPid], [true, true, true, false]);
  const plain = sandboxRequest(md, '');
  assert.deepEqual([plain.hostPid, plain.hostIpc, plain.privileged], [false, false, false]);
  assert.throws(() => sandboxRequest({ ...md, linux: { security_context: { namespace_options: { pid: 'TARGET' } } } }, ''), /namespace_options.pid TARGET is for containers/);
  assert.equal(sandboxRequest({ ...md, linux: { security_context: { namespace_options: { pid: 'POD' } } } }, '').sharedPid, true);
  assert.equal(sandboxRequest(md, '').sharedPid, false);
  assert.throws(() => sandboxRequest({ ...md, linux: { cgroup_parent: 'kubepods.slice' } }, '', 'systemd'), /systemd is not supported/);
  // The handler is kept as asked: which runtime it names is the pod service's to say (services/pods/runtime-handler.ts).
  assert.equal(sandboxRequest(md, 'kata').runtimeHandler, 'kata');
  const r = sandboxRequest({ ...md, port_mappings: [{ protocol: 'UDP', container_port: 53, host_port: 5353, host_ip: '127.0.0.1' }, { container_port: 80, host_port: 0 }] }, '');
  assert.deepEqual(r.portMappings, [{ protocol: 'udp', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' }]);
  assert.deepEqual(r.metadata, { name: 'p', uid: 'u', namespace: 'n', attempt: 1 });
  assert.equal(r.hostNetwork, false);
  // No hostname: the node's, as containerd gives (critest's pod names are longer than a hostname may be).
  assert.equal(r.hostname, hostname());
  assert.equal(sandboxRequest({ ...md, hostname: 'web-1' }, '').hostname, 'web-1');
  assert.throws(() => sandboxRequest({ ...md, hostname: 'x'.repeat(65) }, ''), (e: Error) => e.name === 'InvalidArgument' && /not a valid hostname/.test(e.message));
});

test('LinuxContainerResources: cpuset_mems is taken; hugepage and unified limits are still refused by name', () => {
  const r = resourcesOf('CreateContainer', { cpuset_cpus: '0', cpuset_mems: '0', memory_limit_in_bytes: String(64 << 20) }, { ulimits: [] });
  assert.equal(r.cpusetMems, '0');
  assert.equal(r.cpusetCpus, '0');
  assert.equal(r.memory, 64 << 20);
  assert.throws(() => resourcesOf('UpdateContainerResources', { unified: { 'memory.high': '1' } }, { ulimits: [] }), /^InvalidArgument: UpdateContainerResources: resources hugepage_limits and unified are not supported/);
});

test('a container runs with its sandbox\'s runtime; a pod recorded before runtimes were kept leaves it to the daemon', async () => {
  const { input } = await containerInput(base, { ...pod, runtimeHandler: 'logged', runtime: 'logged' }, 'sha256:abc', 'k8s.io');
  assert.equal(input.spec.runtime, 'logged');
  const old = await containerInput(base, pod, 'sha256:abc', 'k8s.io');
  assert.equal(old.input.spec.runtime, undefined);
});
