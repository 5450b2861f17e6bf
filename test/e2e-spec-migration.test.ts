import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * A data root written by the berth before the typed container spec: each container record held a
 * `hostConfig` with a few typed fields and the request's whole HostConfig as `raw`. berthd converts
 * such records at start; inspect shows the same HostConfig and the container runs as it was asked.
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

/** The record as today's berth wrote it: the spec fields folded back into the old hostConfig with its raw request. */
function legacyShape(rec: Record<string, unknown>): Record<string, unknown> {
  const { spec, views, ...rest } = rec as { spec: Record<string, Record<string, unknown>>; views?: unknown } & Record<string, unknown>;
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
    assert.deepEqual(rec['spec']?.['lifecycle'], { restartPolicy: { name: 'on-failure', maximumRetryCount: 2 }, autoRemove: false, init: true });
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
