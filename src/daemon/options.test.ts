import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOptions } from './options.js';

test('dockerd flags set where berthd lives and listens', async () => {
  const o = await loadOptions(['-H', 'unix:///tmp/x.sock', '--data-root', '/tmp/d', '--exec-root', '/tmp/e'], {});
  assert.ok(typeof o === 'object');
  assert.equal(o.socketPath, '/tmp/x.sock');
  assert.equal(o.dataRoot, '/tmp/d');
  assert.equal(o.pidfile, '/tmp/e/berthd.pid');
});

test('daemon.json fills what flags leave open', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-opt-'));
  try {
    const cfg = join(dir, 'daemon.json');
    await writeFile(cfg, JSON.stringify({ 'data-root': '/srv/berth', 'exec-root': '/run/x' }));
    const o = await loadOptions(['--config-file', cfg, '--log-level', 'debug'], {});
    assert.ok(typeof o === 'object');
    assert.equal(o.dataRoot, '/srv/berth');
    assert.equal(o.logLevel, 'debug');
    assert.equal(o.socketPath, '/run/x/berth.sock');
    assert.equal(o.seccompProfile, 'builtin');
    await writeFile(cfg, JSON.stringify({ 'seccomp-profile': '/etc/berth/seccomp.json' }));
    const s = await loadOptions(['--config-file', cfg], {});
    assert.ok(typeof s === 'object');
    assert.equal(s.seccompProfile, '/etc/berth/seccomp.json');
    const f = await loadOptions(['--config-file', join(dir, 'absent.json'), '--seccomp-profile', 'unconfined'], {}).catch((e: Error) => e);
    assert.match(String(f), /unable to read configuration file/, 'a --config-file that is named must exist');
    const flagOnly = await loadOptions(['--seccomp-profile', 'unconfined'], { BERTH_CONFIG_FILE: join(dir, 'absent.json') });
    assert.ok(typeof flagOnly === 'object');
    assert.equal(flagOnly.seccompProfile, 'unconfined');
    await writeFile(cfg, '{bad');
    await assert.rejects(loadOptions(['--config-file', cfg], {}), /unable to configure/);
    await assert.rejects(loadOptions(['--bogus'], {}), /Unknown option/);
    await assert.rejects(loadOptions(['-H', 'tcp://0.0.0.0:2375'], {}), /unix:\/\/ sockets only/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--userns-remap comes from the flag or daemon.json; off by default', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-opt-'));
  try {
    const cfg = join(dir, 'daemon.json');
    await writeFile(cfg, JSON.stringify({ 'userns-remap': 'default' }));
    const none = await loadOptions([], { BERTH_CONFIG_FILE: join(dir, 'absent.json') });
    assert.ok(typeof none === 'object');
    assert.equal(none.usernsRemap, '');
    const fromFile = await loadOptions(['--config-file', cfg], {});
    assert.ok(typeof fromFile === 'object');
    assert.equal(fromFile.usernsRemap, 'default');
    const fromFlag = await loadOptions(['--userns-remap', '1000:1000'], { BERTH_CONFIG_FILE: join(dir, 'absent.json') });
    assert.ok(typeof fromFlag === 'object');
    assert.equal(fromFlag.usernsRemap, '1000:1000');
    await writeFile(cfg, JSON.stringify({ 'userns-remap': 5 }));
    await assert.rejects(loadOptions(['--config-file', cfg], {}), /userns-remap must be a string/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('log-opts from daemon.json, --log-opt over them; bad values stop the daemon at start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-opt-'));
  try {
    const cfg = join(dir, 'daemon.json');
    await writeFile(cfg, JSON.stringify({ 'log-opts': { 'max-size': '10m', 'max-file': '3' } }));
    const o = await loadOptions(['--config-file', cfg], {});
    assert.ok(typeof o === 'object');
    assert.deepEqual(o.logOpts, { 'max-size': '10m', 'max-file': '3' });
    const flags = await loadOptions(['--log-opt', 'max-size=10m', '--log-opt', 'max-file=7'], { BERTH_CONFIG_FILE: join(dir, 'absent.json') });
    assert.ok(typeof flags === 'object');
    assert.deepEqual(flags.logOpts, { 'max-size': '10m', 'max-file': '7' });
    const none = await loadOptions([], { BERTH_CONFIG_FILE: join(dir, 'absent.json') });
    assert.ok(typeof none === 'object');
    assert.deepEqual(none.logOpts, {});
    await assert.rejects(loadOptions(['--log-opt', 'max-size=huge'], { BERTH_CONFIG_FILE: join(dir, 'absent.json') }), /invalid size: 'huge'/);
    await assert.rejects(loadOptions(['--log-opt', 'max-file=0'], { BERTH_CONFIG_FILE: join(dir, 'absent.json') }), /max-file cannot be less than 1/);
    await writeFile(cfg, JSON.stringify({ 'log-opts': { 'max-size': 5 } }));
    await assert.rejects(loadOptions(['--config-file', cfg], {}), /log-opts.max-size must be a string/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('daemon.json: a key that matches no option, or an option also given as a flag, stops berthd with dockerd\'s message', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-opt-'));
  try {
    const cfg = join(dir, 'daemon.json');
    await writeFile(cfg, JSON.stringify({ 'data-root': '/srv/berth', 'live-restor': true, 'log-drivr': 'syslog' }));
    await assert.rejects(
      loadOptions(['--config-file', cfg], {}),
      (e: Error) => e.message === `unable to configure the berth daemon with file ${cfg}: the following directives don't match any configuration option: live-restor, log-drivr`,
    );
    await writeFile(cfg, JSON.stringify({ 'log-level': 'warn', 'log-opts': { 'max-file': '3' }, hosts: ['unix:///tmp/a.sock'], debug: true }));
    await assert.rejects(
      loadOptions(['--config-file', cfg, '--log-level', 'debug', '--log-opt', 'max-file=7', '-H', 'unix:///tmp/b.sock'], {}),
      (e: Error) =>
        e.message ===
        `unable to configure the berth daemon with file ${cfg}: the following directives are specified both as a flag and in the configuration file: ` +
          'hosts: (from flag: [unix:///tmp/b.sock], from file: [unix:///tmp/a.sock]), log-level: (from flag: debug, from file: warn), log-opts: (from flag: map[max-file:7], from file: map[max-file:3])',
    );
    const d = await loadOptions(['--config-file', cfg], {});
    assert.ok(typeof d === 'object');
    assert.equal(d.logLevel, 'debug', 'daemon.json "debug": true turns on debug logging, as in dockerd');
    assert.equal(d.socketPath, '/tmp/a.sock');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('log-driver: flag over daemon.json, json-file by default; its options checked against it, a driver berth does not run refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-opt-'));
  try {
    const cfg = join(dir, 'daemon.json');
    await writeFile(cfg, JSON.stringify({ 'log-driver': 'local', 'log-opts': { 'max-file': '3', compress: 'false' } }));
    const o = await loadOptions(['--config-file', cfg], {});
    assert.ok(o !== 'help' && o !== 'version');
    assert.equal(o.logDriver, 'local');
    assert.deepEqual(o.logOpts, { 'max-file': '3', compress: 'false' });
    const flag = await loadOptions(['--log-driver', 'syslog', '--log-opt', 'syslog-address=udp://127.0.0.1:514'], {});
    assert.ok(flag !== 'help' && flag !== 'version');
    assert.equal(flag.logDriver, 'syslog');
    const plain = await loadOptions([], {});
    assert.ok(plain !== 'help' && plain !== 'version');
    assert.equal(plain.logDriver, 'json-file');
    await assert.rejects(loadOptions(['--log-driver', 'local', '--log-opt', 'tag=x'], {}), /unknown log opt 'tag' for local log driver/);
    await assert.rejects(loadOptions(['--log-driver', 'fluentd'], {}), /logging driver fluentd is not supported by berth/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('experimental is off unless --experimental or daemon.json says true, as dockerd', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-opt-'));
  try {
    const none = join(dir, 'absent.json');
    const off = await loadOptions([], { BERTH_CONFIG_FILE: none });
    assert.ok(typeof off === 'object');
    assert.equal(off.experimental, false);
    const flag = await loadOptions(['--experimental'], { BERTH_CONFIG_FILE: none });
    assert.ok(typeof flag === 'object');
    assert.equal(flag.experimental, true);
    const cfg = join(dir, 'daemon.json');
    await writeFile(cfg, JSON.stringify({ experimental: true }));
    const on = await loadOptions(['--config-file', cfg], {});
    assert.ok(typeof on === 'object');
    assert.equal(on.experimental, true);
    await assert.rejects(loadOptions(['--config-file', cfg, '--experimental'], {}), /specified both as a flag and in the configuration file: experimental/);
    await writeFile(cfg, JSON.stringify({ experimental: 'yes' }));
    await assert.rejects(loadOptions(['--config-file', cfg], {}), /daemon.json: experimental must be true or false/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--cgroup-parent and daemon.json cgroup-parent: the default parent of containers, checked at start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-opt-'));
  try {
    const flag = await loadOptions(['--cgroup-parent', 'mygroup'], { BERTH_CONFIG_FILE: join(dir, 'absent.json') });
    assert.ok(typeof flag === 'object');
    assert.equal(flag.cgroupParent, 'mygroup');
    const cfg = join(dir, 'daemon.json');
    await writeFile(cfg, JSON.stringify({ 'cgroup-parent': '/a/b' }));
    const file = await loadOptions(['--config-file', cfg], {});
    assert.ok(typeof file === 'object');
    assert.equal(file.cgroupParent, '/a/b');
    await assert.rejects(loadOptions(['--config-file', cfg, '--cgroup-parent', 'x'], {}), /specified both as a flag and in the configuration file: cgroup-parent/);
    await writeFile(cfg, JSON.stringify({ 'cgroup-parent': '../up' }));
    await assert.rejects(loadOptions(['--config-file', cfg], {}), /invalid daemon\.json cgroup-parent "\.\.\/up": a cgroup parent may not contain/);
    await writeFile(cfg, JSON.stringify({ 'cgroup-parent': 3 }));
    await assert.rejects(loadOptions(['--config-file', cfg], {}), /cgroup-parent must be a string/);
    const none = await loadOptions([], { BERTH_CONFIG_FILE: join(dir, 'absent.json') });
    assert.ok(typeof none === 'object');
    assert.equal(none.cgroupParent, undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('IPv6 of the default bridge: --ipv6/--fixed-cidr-v6 or daemon.json ipv6/fixed-cidr-v6; ipv6 alone refused as dockerd refuses it; ip6tables on by default', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-opt-'));
  try {
    const cfg = join(dir, 'daemon.json');
    const none = await loadOptions([], { BERTH_CONFIG_FILE: join(dir, 'absent.json') });
    assert.ok(typeof none === 'object');
    assert.equal(none.ipv6, false);
    assert.equal(none.fixedCidrV6, undefined);
    assert.equal(none.ip6tables, true);
    const flags = await loadOptions(['--ipv6', '--fixed-cidr-v6', 'fd00:1::/64'], { BERTH_CONFIG_FILE: join(dir, 'absent.json') });
    assert.ok(typeof flags === 'object');
    assert.equal(flags.fixedCidrV6, 'fd00:1::/64');
    await writeFile(cfg, JSON.stringify({ ipv6: true, 'fixed-cidr-v6': 'fd00:2::/64', ip6tables: false }));
    const file = await loadOptions(['--config-file', cfg], {});
    assert.ok(typeof file === 'object');
    assert.equal(file.fixedCidrV6, 'fd00:2::/64');
    assert.equal(file.ip6tables, false);
    await assert.rejects(loadOptions(['--ipv6'], { BERTH_CONFIG_FILE: join(dir, 'absent.json') }), /IPv6 is enabled for the default bridge, but no subnet is configured\. Specify an IPv6 subnet using --fixed-cidr-v6/);
    await writeFile(cfg, JSON.stringify({ ip6tables: 'yes' }));
    await assert.rejects(loadOptions(['--config-file', cfg], {}), /daemon.json: ip6tables must be true or false/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--storage-opt overlay2.size / daemon.json storage-opts: the default size of new writable layers, in dockerd\'s words when wrong', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-opt-'));
  try {
    const absent = { BERTH_CONFIG_FILE: join(dir, 'absent.json') };
    const flag = await loadOptions(['--storage-opt', 'overlay2.size=20M'], absent);
    assert.ok(typeof flag === 'object');
    assert.equal(flag.defaultLayerSize, 20 * 1024 * 1024);
    const cfg = join(dir, 'daemon.json');
    await writeFile(cfg, JSON.stringify({ 'storage-opts': ['Overlay2.Size=1G'] }));
    const file = await loadOptions(['--config-file', cfg], {});
    assert.ok(typeof file === 'object');
    assert.equal(file.defaultLayerSize, 1024 ** 3);
    const none = await loadOptions([], absent);
    assert.ok(typeof none === 'object');
    assert.equal(none.defaultLayerSize, undefined);
    await assert.rejects(loadOptions(['--storage-opt', 'overlay2.inodes=5'], absent), /overlay2: unknown option overlay2.inodes/);
    await assert.rejects(loadOptions(['--storage-opt', 'overlay2.size=lots'], absent), /invalid size: 'lots'/);
    await assert.rejects(loadOptions(['--storage-opt', 'size'], absent), /Unable to parse key\/value option: size/);
    await writeFile(cfg, JSON.stringify({ 'storage-opts': 'overlay2.size=1G' }));
    await assert.rejects(loadOptions(['--config-file', cfg], {}), /storage-opts must be a list of strings/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
