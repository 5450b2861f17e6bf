import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { runOptions } from './program.js';
import { buildCreatePlan, parseMount, parsePublish, parseRestart, parseUlimit, type RunFlags } from './run-options.js';

function parseRun(argv: string[]): { image: string; args: string[]; flags: RunFlags } {
  let got: { image: string; args: string[]; flags: RunFlags } | undefined;
  const program = new Command('berth').enablePositionalOptions().exitOverride();
  runOptions(program.command('run')).option('-d, --detach')
    .action((image: string, args: string[], flags: RunFlags) => { got = { image, args, flags }; });
  program.parse(argv, { from: 'user' });
  assert.ok(got);
  return got;
}

test('a complex run line: flags before the image, the command passed through', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-run-'));
  try {
    const envFile = path.join(dir, 'env');
    await writeFile(envFile, '# comment\nFROM_FILE=1\n\nPASSED\n');
    const { image, args, flags } = parseRun([
      'run', '-itd', '--rm', '-p', '80:80', '-p', '127.0.0.1:8443:443/udp', '-e', 'A=1', '-e', 'PASSED', '--env-file', envFile,
      '--name=web', '-v', '/data:/data:ro', '-v', '/anon', '--mount', 'type=tmpfs,target=/t,tmpfs-size=1m', '--entrypoint', '',
      '-w', '/w', '-u', '1000:1000', '-h', 'box', '-l', 'x=y', '--restart', 'on-failure:3', '--tmpfs', '/run:size=64m',
      '-m', '512m', '--cpus', '1.5', '--pids-limit', '100', '--ulimit', 'nofile=1024:2048', '--cap-add', 'NET_ADMIN',
      '--cap-drop', 'ALL', '--init', '--read-only', '--privileged', '--network', 'host', '--stop-signal', 'SIGUSR1',
      '--stop-timeout', '5', '--platform', 'linux/amd64', 'busybox', 'ls', '-la', '--color', '-d',
    ]);
    assert.equal(image, 'busybox');
    assert.deepEqual(args, ['ls', '-la', '--color', '-d']);
    assert.equal(flags.entrypoint, '');
    assert.throws(() => buildCreatePlan(image, args, flags, { PASSED: 'p' }), /Conflicting options: --restart and --rm/);
    const plan = buildCreatePlan(image, args, { ...flags, restart: 'no' }, { PASSED: 'p' });
    const b = plan.body;
    assert.equal(plan.name, 'web');
    assert.equal(plan.platform, 'linux/amd64');
    assert.equal(b.Tty, true);
    assert.equal(b.OpenStdin, true);
    assert.equal(plan.attachStdin, false, 'detached runs attach nothing');
    assert.deepEqual(b.Cmd, ['ls', '-la', '--color', '-d']);
    assert.deepEqual(b.Entrypoint, ['']);
    assert.deepEqual(b.Env, ['FROM_FILE=1', 'PASSED=p', 'A=1', 'PASSED=p']);
    assert.equal(b.WorkingDir, '/w');
    assert.equal(b.User, '1000:1000');
    assert.equal(b.Hostname, 'box');
    assert.deepEqual(b.Labels, { x: 'y' });
    assert.deepEqual(b.ExposedPorts, { '80/tcp': {}, '443/udp': {} });
    assert.deepEqual(b.Volumes, { '/anon': {} });
    assert.equal(b.StopSignal, 'SIGUSR1');
    assert.equal(b.StopTimeout, 5);
    const hc = b.HostConfig;
    assert.ok(hc);
    assert.equal(hc.AutoRemove, true);
    assert.deepEqual(hc.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '80' }], '443/udp': [{ HostIp: '127.0.0.1', HostPort: '8443' }] });
    assert.deepEqual(hc.Binds, ['/data:/data:ro']);
    assert.deepEqual(hc.Mounts, [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024 * 1024 } }]);
    assert.deepEqual(hc.Tmpfs, { '/run': 'size=64m' });
    assert.equal(hc.Memory, 512 * 1024 * 1024);
    assert.equal(hc.NanoCpus, 1_500_000_000);
    assert.equal(hc.PidsLimit, 100);
    assert.deepEqual(hc.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    assert.deepEqual(hc.CapAdd, ['NET_ADMIN']);
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.equal(hc.Init, true);
    assert.equal(hc.ReadonlyRootfs, true);
    assert.equal(hc.Privileged, true);
    assert.equal(hc.NetworkMode, 'host');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('foreground defaults: attach stdout/stderr, stdin only with -i', () => {
  const { image, args, flags } = parseRun(['run', '-i', 'alpine']);
  const plan = buildCreatePlan(image, args, flags, {});
  assert.equal(plan.attachStdin, true);
  assert.equal(plan.attachStdout, true);
  assert.equal(plan.body.StdinOnce, true);
  assert.equal(plan.body.Cmd, null);
  assert.equal(plan.body.Entrypoint, undefined);
  assert.equal(plan.body.HostConfig?.NetworkMode, 'default');
  const a = parseRun(['run', '-a', 'stderr', 'alpine']);
  const p2 = buildCreatePlan(a.image, a.args, a.flags, {});
  assert.deepEqual([p2.attachStdin, p2.attachStdout, p2.attachStderr], [false, false, true]);
});

test('flag value parsers', () => {
  const exposed = {};
  const bindings = {};
  parsePublish('8000-8001:80-81', exposed, bindings);
  assert.deepEqual(bindings, { '80/tcp': [{ HostIp: '', HostPort: '8000' }], '81/tcp': [{ HostIp: '', HostPort: '8001' }] });
  assert.throws(() => parsePublish('abc', {}, {}), /invalid containerPort/);
  assert.deepEqual(parseRestart('always'), { Name: 'always', MaximumRetryCount: 0 });
  assert.throws(() => parseRestart('sometimes'), /unknown policy/);
  assert.deepEqual(parseUlimit('nproc=10'), { Name: 'nproc', Soft: 10, Hard: 10 });
  assert.throws(() => parseUlimit('nofile=10:5'), /soft limit/);
  assert.deepEqual(parseMount('type=bind,src=/a,dst=/b,readonly'), { Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true });
  assert.throws(() => parseMount('type=bind,src=/a'), /target is required/);
});

test('--security-opt seccomp=FILE sends the file\'s JSON inline, compacted, numbers as written', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-seccomp-'));
  try {
    const file = path.join(dir, 'p.json');
    await writeFile(file, '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [ { "names": [ "mkdir" ], "action": "SCMP_ACT_ERRNO", "comment": "a \\" b" } ],\n  "big": 18446744073709551615\n}\n');
    const opts = (o: string[]): unknown => buildCreatePlan('busybox', [], { ...parseRun(['run', 'busybox']).flags, securityOpt: o }).body.HostConfig?.SecurityOpt;
    assert.deepEqual(opts([`seccomp=${file}`, 'no-new-privileges']), [
      'seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","comment":"a \\" b"}],"big":18446744073709551615}',
      'no-new-privileges',
    ]);
    assert.deepEqual(opts(['seccomp=unconfined', 'seccomp:builtin']), ['seccomp=unconfined', 'seccomp:builtin']);
    assert.throws(() => opts([`seccomp=${path.join(dir, 'missing.json')}`]), /opening seccomp profile \(.*missing\.json\) failed/);
    await writeFile(file, '{"defaultAction": ');
    assert.throws(() => opts([`seccomp=${file}`]), /compacting json for seccomp profile \(.*p\.json\) failed/);
    assert.throws(() => opts(['apparmor']), /Invalid --security-opt: "apparmor"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--link: HostConfig.Links, and on a user network the endpoint\'s Links too, as the docker CLI sends them', () => {
  const dflt = parseRun(['run', '--link', 'db:d', '--link', 'cache', 'busybox']);
  const plan = buildCreatePlan(dflt.image, dflt.args, dflt.flags, {});
  assert.deepEqual(plan.body.HostConfig?.Links, ['db:d', 'cache']);
  assert.deepEqual(plan.body.NetworkingConfig?.EndpointsConfig, {});
  const user = parseRun(['run', '--network', 'app', '--link', 'db:d', 'busybox']);
  assert.deepEqual(buildCreatePlan(user.image, user.args, user.flags, {}).body.NetworkingConfig?.EndpointsConfig?.['app']?.Links, ['db:d']);
  const bad = parseRun(['run', '--link', 'a:b:c', 'busybox']);
  assert.throws(() => buildCreatePlan(bad.image, bad.args, bad.flags, {}), /invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c/);
});
