import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * What SDKs read from inspect and the swarm routes, checked against what dockerd (20.10–24, API
 * 1.43) answers: docker-py and the docker CLI, unchanged.
 */
const PYTHON = '/usr/bin/python3';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

/** dockerd's HostConfig keys (api/types/container HostConfig + Resources; the omitempty ones left out), in its order. */
const HOST_CONFIG_KEYS = [
  'Binds', 'ContainerIDFile', 'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'AutoRemove', 'VolumeDriver',
  'VolumesFrom', 'ConsoleSize', 'CapAdd', 'CapDrop', 'CgroupnsMode', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts',
  'GroupAdd', 'IpcMode', 'Cgroup', 'Links', 'OomScoreAdj', 'PidMode', 'Privileged', 'PublishAllPorts', 'ReadonlyRootfs',
  'SecurityOpt', 'UTSMode', 'UsernsMode', 'ShmSize', 'Runtime', 'Isolation', 'CpuShares', 'Memory', 'NanoCpus',
  'CgroupParent', 'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems',
  'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'MemoryReservation', 'MemorySwap', 'MemorySwappiness', 'OomKillDisable',
  'PidsLimit', 'Ulimits', 'CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth', 'MaskedPaths', 'ReadonlyPaths',
];
/** dockerd's container.Config keys that are always there, in its order. */
const CONFIG_KEYS = [
  'Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce',
  'Env', 'Cmd', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels',
];
/** dockerd's container inspect keys (types.ContainerJSON), in its order. */
const INSPECT_KEYS = [
  'Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'Name',
  'RestartCount', 'Driver', 'Platform', 'MountLabel', 'ProcessLabel', 'AppArmorProfile', 'ExecIDs', 'HostConfig',
  'GraphDriver', 'Mounts', 'Config', 'NetworkSettings',
];
/** dockerd's types.Info keys (API 1.43; the omitempty ones berth has no value for left out), in its order. */
const INFO_KEYS = [
  'ID', 'Containers', 'ContainersRunning', 'ContainersPaused', 'ContainersStopped', 'Images', 'Driver', 'DriverStatus',
  'Plugins', 'MemoryLimit', 'SwapLimit', 'CpuCfsPeriod', 'CpuCfsQuota', 'CPUShares', 'CPUSet', 'PidsLimit', 'IPv4Forwarding',
  'BridgeNfIptables', 'BridgeNfIp6tables', 'Debug', 'NFd', 'OomKillDisable', 'NGoroutines', 'SystemTime', 'LoggingDriver',
  'CgroupDriver', 'CgroupVersion', 'NEventsListener', 'KernelVersion', 'OperatingSystem', 'OSVersion', 'OSType',
  'Architecture', 'IndexServerAddress', 'RegistryConfig', 'NCPU', 'MemTotal', 'GenericResources', 'DockerRootDir',
  'HttpProxy', 'HttpsProxy', 'NoProxy', 'Name', 'Labels', 'ExperimentalBuild', 'ServerVersion', 'Runtimes', 'DefaultRuntime',
  'Swarm', 'LiveRestoreEnabled', 'Isolation', 'InitBinary', 'ContainerdCommit', 'RuncCommit', 'InitCommit', 'SecurityOptions',
  'Warnings', 'CDISpecDirs',
];
const NOT_A_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

async function python(name: string, script: string): Promise<Map<string, string>> {
  const file = join(d.dir, name);
  await writeFile(file, script);
  const r = await d.run(PYTHON, [file], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `${name} failed:\n${r.stdout}\n${r.stderr}`);
  const seen = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) seen.set(line.slice(0, i), line.slice(i + 1));
  }
  return seen;
}

test('docker-py outside a swarm: swarm attrs empty, nodes/services/secrets raise APIError 503 with dockerd words, leave 503, info inactive', async () => {
  const seen = await python(
    'swarm.py',
    `
import docker
c = docker.from_env()
print('swarm_attrs=' + repr(c.swarm.attrs))
for name, call in [('inspect', c.api.inspect_swarm), ('nodes', c.nodes.list), ('services', c.services.list),
                   ('tasks', c.api.tasks), ('secrets', c.secrets.list), ('configs', c.configs.list),
                   ('unlockkey', c.api.get_unlock_key), ('leave', c.swarm.leave)]:
    try:
        call()
        print(name + '=no error')
    except docker.errors.APIError as e:
        print(name + '=' + str(e.response.status_code) + ' ' + e.explanation)
print('state=' + c.info()['Swarm']['LocalNodeState'])
`,
  );
  assert.equal(seen.get('swarm_attrs'), '{}', 'docker-py takes a 503 as "no swarm"');
  for (const k of ['inspect', 'nodes', 'services', 'tasks', 'secrets', 'configs', 'unlockkey']) assert.equal(seen.get(k), `503 ${NOT_A_MANAGER}`, k);
  assert.equal(seen.get('leave'), '503 This node is not part of a swarm');
  assert.equal(seen.get('state'), 'inactive');
});

test('docker CLI outside a swarm: node ls, service ls, swarm leave print dockerd message; info says Swarm: inactive', async () => {
  for (const args of [['node', 'ls'], ['service', 'ls'], ['secret', 'ls']]) {
    const r = await d.docker(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(r.stderr.trim(), `Error response from daemon: ${NOT_A_MANAGER}`, args.join(' '));
  }
  const leave = await d.docker(['swarm', 'leave']);
  assert.equal(leave.code, 1);
  assert.equal(leave.stderr.trim(), 'Error response from daemon: This node is not part of a swarm');
  const init = await d.docker(['swarm', 'init']);
  assert.notEqual(init.code, 0);
  assert.match(init.stderr, /berth does not run swarm mode: "docker swarm init" is not supported/);
  const info = await d.docker(['info']);
  assert.match(info.stdout, /^ Swarm: inactive$/m);
  const swarm = await d.api('GET', '/info');
  assert.deepEqual(Object.keys(swarm.json as object), INFO_KEYS, 'every key of dockerd /info, in its order');
  assert.deepEqual((swarm.json as { Swarm: unknown }).Swarm, { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null });
});

test('container inspect (docker-py create, docker CLI create): every key of dockerd in its order, LogConfig as asked, Runtime runc', async () => {
  const seen = await python(
    'inspect.py',
    `
import docker, json
c = docker.from_env()
ct = c.containers.create('busybox', ['true'], name='sdk-inspect')
print('attrs=' + json.dumps(ct.attrs))
ct.remove()
`,
  );
  const py = JSON.parse(seen.get('attrs') ?? '{}') as Record<string, Record<string, unknown>>;
  const cliId = (await d.docker(['create', 'busybox'])).stdout.trim();
  const cli = (JSON.parse((await d.docker(['inspect', cliId])).stdout) as Record<string, Record<string, unknown>>[])[0] ?? {};
  await d.docker(['rm', cliId]);
  for (const [who, a] of [['docker-py', py], ['docker CLI', cli]] as const) {
    assert.deepEqual(Object.keys(a), INSPECT_KEYS, `${who}: top-level keys`);
    const hc = a['HostConfig'] ?? {};
    assert.deepEqual(Object.keys(hc), HOST_CONFIG_KEYS, `${who}: HostConfig keys`);
    assert.deepEqual(hc['LogConfig'], { Type: 'json-file', Config: {} }, `${who}: LogConfig shows what was asked, not berth's defaults`);
    assert.equal(hc['Runtime'], 'runc');
    assert.equal(hc['Links'], null);
    assert.equal(hc['DeviceCgroupRules'], null);
    assert.equal(hc['ShmSize'], 67108864);
    assert.equal(hc['IpcMode'], 'private');
    assert.deepEqual(hc['ConsoleSize'], [0, 0]);
    assert.equal(hc['OomKillDisable'], false);
    assert.ok(Array.isArray(hc['MaskedPaths']) && (hc['MaskedPaths'] as string[]).includes('/proc/kcore'), `${who}: MaskedPaths`);
    const cfg = a['Config'] ?? {};
    assert.deepEqual(Object.keys(cfg).filter((k) => CONFIG_KEYS.includes(k)), CONFIG_KEYS, `${who}: Config keys in order`);
    assert.equal(cfg['OnBuild'], null);
  }
  assert.equal(py['HostConfig']?.['Dns'], null, 'docker-py sent no Dns: Go zero value');
  const rt = await d.docker(['create', '--runtime', 'crun-x', 'busybox']);
  assert.notEqual(rt.code, 0, 'a runtime berthd does not have is refused, not echoed');
  assert.match(rt.stderr, /Error response from daemon: unknown or invalid runtime name: crun-x/);
});

test('image inspect: Config and ContainerConfig hold every key of Docker container config, OnBuild null', async () => {
  // ContainerConfig went in API 1.45: ask as a 1.44 client for both.
  const img = ((await d.api('GET', '/v1.44/images/busybox/json')).json ?? {}) as Record<string, Record<string, unknown>>;
  const cli = (JSON.parse((await d.docker(['image', 'inspect', 'busybox'])).stdout) as Record<string, Record<string, unknown>>[])[0] ?? {};
  assert.equal('ContainerConfig' in cli, false, 'the docker CLI 28 talks 1.47: no ContainerConfig');
  assert.deepEqual(cli['Config'], img['Config']);
  for (const k of ['Config', 'ContainerConfig']) {
    const cfg = img[k] ?? {};
    assert.deepEqual(Object.keys(cfg).filter((x) => CONFIG_KEYS.includes(x)), CONFIG_KEYS, `${k} keys in order`);
    assert.equal(cfg['OnBuild'], null, k);
  }
  assert.deepEqual(img['Config']?.['Cmd'], ['sh']);
  const seen = await python('image.py', `
import docker
c = docker.from_env()
print('onbuild=' + repr(c.images.get('busybox').attrs['Config']['OnBuild']))
`);
  assert.equal(seen.get('onbuild'), 'None');
});

test('log drivers: an unknown one gets dockerd message; none runs, attach still shows output, docker logs says it cannot read', async () => {
  const bad = await d.docker(['run', '--log-driver', 'asdf', 'busybox', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /Error response from daemon: logger: no log driver named 'asdf' is registered/);
  const gelf = await d.docker(['create', '--log-driver', 'gelf', 'busybox', 'true']);
  assert.notEqual(gelf.code, 0);
  assert.match(gelf.stderr, /logging driver gelf is not supported by berth/);

  const fg = await d.docker(['run', '--rm', '--log-driver', 'none', '--network', 'none', 'busybox', 'echo', 'through-attach']);
  assert.equal(fg.code, 0, fg.stderr);
  assert.equal(fg.stdout.trim(), 'through-attach');
  const id = (await d.docker(['run', '-d', '--log-driver', 'none', '--network', 'none', 'busybox', 'echo', 'hi'])).stdout.trim();
  assert.equal((await d.docker(['wait', id])).stdout.trim(), '0');
  assert.equal((await d.docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', id])).stdout.trim(), '{"Type":"none","Config":{}}');
  const logs = await d.docker(['logs', id]);
  assert.equal(logs.code, 1);
  assert.equal(logs.stderr.trim(), 'Error response from daemon: configured logging driver does not support reading');
  const api = await d.api('GET', `/containers/${id}/logs?stdout=1`);
  assert.equal(api.status, 501);
  const seen = await python('logs-none.py', `
import docker
c = docker.from_env()
try:
    c.containers.get('${id}').logs()
    print('logs=no error')
except docker.errors.APIError as e:
    print('logs=' + str(e.response.status_code) + ' ' + e.explanation)
`);
  assert.equal(seen.get('logs'), '501 configured logging driver does not support reading');
  await d.docker(['rm', id]);
});
