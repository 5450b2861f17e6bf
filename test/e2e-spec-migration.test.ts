import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * Data roots written by older berths. Before the typed container spec, each container record held a
 * `hostConfig` with a few typed fields and the request's whole HostConfig as `raw`; then, until the
 * spec held the process side too, a `spec` beside a `config` (ContainerConfig: hostname, user, env,
 * cmd, entrypoint, labels, healthcheck in Docker's keys …) and the argv as `path`/`args`. berthd
 * converts such records at start; inspect shows the same and the container runs as it was asked.
 */
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const HOST_CONFIG = {
  Memory: 32 << 20,
  PidsLimit: 40,
  NanoCpus: 500_000_000,
  Dns: ['192.0.2.53'],
  DnsSearch: [],
  ExtraHosts: ['old-host:192.0.2.7'],
  RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
  SecurityOpt: ['no-new-privileges'],
  Tmpfs: { '/scratch': 'size=1m' },
  Binds: ['mig-vol:/data'],
  ShmSize: 2 << 20,
  NetworkMode: 'none',
  Init: true,
};

type Json = Record<string, unknown>;

/**
 * Today's record in the shape berth wrote before the spec held the process side: the process,
 * labels, image, volumes, host name, exposed ports, stop signal/timeout and healthcheck taken out of
 * the spec into a `config` (the attach flags from the Docker view) and `path`/`args`.
 */
function configShape(rec: Json): Json {
  const { spec, views, ...rest } = structuredClone(rec) as { spec: Record<string, Json>; views?: Record<string, Json> } & Json;
  const { process: p, labels, volumes, ...oldSpec } = spec as { process: Json & { args: string[]; stdin: { open: boolean; once: boolean } }; labels: Json; volumes: string[] } & Record<string, Json>;
  const { image, ...rootfs } = spec['rootfs'] as Json;
  const { hostname, domainname, exposedPorts, ...networking } = spec['networking'] as Json & { exposedPorts: string[] };
  const { stopSignal, stopTimeout, healthcheck, ...lifecycle } = spec['lifecycle'] as Json & { healthcheck?: Json };
  const attach = views?.['dockerConfig'] ?? {};
  const { dockerConfig, ...otherViews } = views ?? {};
  void dockerConfig;
  const keys = (l: string[]): Json => Object.fromEntries(l.map((k) => [k, {}]));
  const wire: Record<string, string> = { test: 'Test', intervalNs: 'Interval', timeoutNs: 'Timeout', startPeriodNs: 'StartPeriod', startIntervalNs: 'StartInterval', retries: 'Retries' };
  const config: Json = {
    hostname,
    domainname,
    user: p['user'],
    attachStdin: attach['AttachStdin'] === true,
    attachStdout: attach['AttachStdout'] === true,
    attachStderr: attach['AttachStderr'] === true,
    tty: p['terminal'],
    openStdin: p.stdin.open,
    stdinOnce: p.stdin.once,
    env: p['env'],
    cmd: p['command'],
    entrypoint: p['entrypoint'],
    image,
    workingDir: p['cwd'],
    labels,
    stopSignal,
    stopTimeout: stopTimeout ?? null,
    exposedPorts: keys(exposedPorts),
    volumes: keys(volumes),
    ...(healthcheck ? { healthcheck: Object.fromEntries(Object.entries(healthcheck).map(([k, v]) => [wire[k], v])) } : {}),
    ...(p['consoleSize'] ? { consoleSize: p['consoleSize'] } : {}),
  };
  return {
    ...rest,
    path: p.args[0],
    args: p.args.slice(1),
    config,
    spec: { ...oldSpec, rootfs, networking, lifecycle },
    ...(Object.keys(otherViews).length ? { views: otherViews } : {}),
  };
}

/** The record as the berth before the typed spec wrote it: the spec fields folded back into the old hostConfig with its raw request. */
function legacyShape(rec: Record<string, unknown>): Record<string, unknown> {
  const { spec, views, ...rest } = configShape(rec) as { spec: Record<string, Record<string, unknown>>; views?: unknown } & Record<string, unknown>;
  void views;
  const logging = spec['logging'] as { driver: string; options?: Record<string, string> };
  return {
    ...rest,
    hostConfig: {
      autoRemove: false,
      networkMode: 'none',
      binds: HOST_CONFIG.Binds,
      privileged: false,
      readonlyRootfs: false,
      capAdd: [],
      capDrop: [],
      restartPolicy: { name: 'on-failure', maximumRetryCount: 2 },
      portBindings: {},
      logType: logging.driver,
      ...(logging.options ? { logOpts: logging.options } : {}),
      extraHosts: HOST_CONFIG.ExtraHosts,
      shmSize: HOST_CONFIG.ShmSize,
      raw: HOST_CONFIG,
    },
  };
}

test('records of the old schema become typed specs at start: inspect unchanged, limits, DNS, hosts, tmpfs, init still apply', async () => {
  const cr = await d.api('POST', '/containers/create?name=migrated', {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; grep nameserver /etc/resolv.conf; grep old-host /etc/hosts; grep -c " /scratch " /proc/mounts; cat /proc/1/comm; df -k /dev/shm | tail -1 | awk \'{print $2}\''],
    HostConfig: HOST_CONFIG,
  });
  assert.equal(cr.status, 201, cr.body);
  const id = (cr.json as { Id: string }).Id;
  const before = JSON.parse((await d.docker(['inspect', id])).stdout)[0];
  await d.stopDaemon();

  const db = new Database(join(d.dataRoot, 'berth.db'));
  try {
    const row = db.prepare('SELECT data FROM containers WHERE id = ?').get(id) as { data: string };
    const now = JSON.parse(row.data) as Record<string, unknown>;
    assert.ok(now['spec'] && !('hostConfig' in now), 'today\'s berth stores a spec');
    db.prepare('UPDATE containers SET data = ? WHERE id = ?').run(JSON.stringify(legacyShape(now)), id);
  } finally {
    db.close();
  }

  await d.spawn();
  const after = JSON.parse((await d.docker(['inspect', id])).stdout)[0];
  assert.deepEqual(after.HostConfig, before.HostConfig, 'inspect shows the same HostConfig');
  assert.deepEqual(after.Config, before.Config);
  assert.deepEqual(after.Mounts, before.Mounts);

  const stored = new Database(join(d.dataRoot, 'berth.db'), { readonly: true });
  try {
    const rec = JSON.parse((stored.prepare('SELECT data FROM containers WHERE id = ?').get(id) as { data: string }).data) as Record<string, Record<string, Record<string, unknown>>>;
    assert.ok(!('hostConfig' in rec), 'the old hostConfig is gone');
    assert.deepEqual(rec['spec']?.['resources'], { ulimits: [], memory: 32 << 20, nanoCpus: 500_000_000, pidsLimit: 40, shmSize: 2 << 20 });
    assert.deepEqual(rec['spec']?.['lifecycle'], { restartPolicy: { name: 'on-failure', maximumRetryCount: 2 }, autoRemove: false, init: true, stopSignal: 'SIGTERM' });
    assert.equal(rec['spec']?.['security']?.['noNewPrivileges'], true);
  } finally {
    stored.close();
  }

  const start = await d.docker(['start', '-a', id]);
  assert.equal(start.code, 0, start.stderr);
  assert.deepEqual(start.stdout.trim().split('\n'), ['40', 'nameserver 192.0.2.53', '192.0.2.7\told-host', '1', 'docker-init', '2048']);
  await d.docker(['rm', '-v', id]);
  await d.docker(['volume', 'rm', 'mig-vol']);
});

test('records with the process side in `config` get it moved into the spec at start: the same inspect, and they run as before', async () => {
  const cr = await d.api('POST', '/containers/create?name=process-migrated', {
    Image: 'busybox',
    Hostname: 'oldhost',
    Domainname: 'example.org',
    User: '1000:1000',
    AttachStdout: true,
    AttachStderr: true,
    Env: ['GREETING=hello'],
    Entrypoint: ['sh', '-c'],
    Cmd: ['echo "$GREETING $(hostname) $(id -u) $(pwd)"; ls -d /cache'],
    WorkingDir: '/tmp',
    Labels: { 'berth.test': 'migrated' },
    StopSignal: 'SIGINT',
    StopTimeout: 4,
    ExposedPorts: { '8080/tcp': {} },
    Volumes: { '/cache': {} },
    Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 1_000_000_000, Timeout: 2_000_000_000, Retries: 2 },
    HostConfig: { NetworkMode: 'none' },
  });
  assert.equal(cr.status, 201, cr.body);
  const id = (cr.json as { Id: string }).Id;
  const before = JSON.parse((await d.docker(['inspect', id])).stdout)[0];
  await d.stopDaemon();

  const db = new Database(join(d.dataRoot, 'berth.db'));
  try {
    const now = JSON.parse((db.prepare('SELECT data FROM containers WHERE id = ?').get(id) as { data: string }).data) as Json;
    const old = configShape(now);
    assert.ok(!('process' in (old['spec'] as Json)) && 'config' in old);
    db.prepare('UPDATE containers SET data = ? WHERE id = ?').run(JSON.stringify(old), id);
  } finally {
    db.close();
  }

  await d.spawn();
  const after = JSON.parse((await d.docker(['inspect', id])).stdout)[0];
  assert.equal(JSON.stringify(after), JSON.stringify(before), 'inspect shows the same, key for key');
  assert.equal(after.Config.AttachStdout, true);
  assert.equal(after.Config.Healthcheck.Retries, 2);

  const stored = new Database(join(d.dataRoot, 'berth.db'), { readonly: true });
  try {
    const rec = JSON.parse((stored.prepare('SELECT data FROM containers WHERE id = ?').get(id) as { data: string }).data) as Record<string, Record<string, Json>>;
    for (const k of ['config', 'path', 'args']) assert.ok(!(k in rec), `the old ${k} is gone`);
    assert.deepEqual(rec['spec']?.['process']?.['args'], ['sh', '-c', 'echo "$GREETING $(hostname) $(id -u) $(pwd)"; ls -d /cache']);
    assert.deepEqual(rec['spec']?.['lifecycle']?.['healthcheck'], { test: ['CMD-SHELL', 'true'], intervalNs: 1_000_000_000, timeoutNs: 2_000_000_000, retries: 2 });
  } finally {
    stored.close();
  }

  const ps = await d.docker(['ps', '-a', '--filter', 'label=berth.test=migrated', '--format', '{{.Names}}']);
  assert.equal(ps.stdout.trim(), 'process-migrated', 'its labels still filter');
  const start = await d.docker(['start', '-a', id]);
  assert.equal(start.code, 0, start.stderr);
  assert.deepEqual(start.stdout.trim().split('\n'), ['hello oldhost 1000 /tmp', '/cache']);
  await d.docker(['rm', '-v', id]);
});
