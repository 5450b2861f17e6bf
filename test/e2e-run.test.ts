import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

test('berth run --rm prints the output and removes the container', async () => {
  const r = await d.berth(['run', '--rm', 'busybox', 'echo', 'hello from berth']);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'hello from berth\n');
  assert.equal(r.code, 0);
  const ps = await d.berth(['ps', '-aq']);
  assert.equal(ps.stdout.trim(), '');
});

test('exit codes: the container own code, 127 not found, 126 not executable, 125 engine errors', async () => {
  assert.equal((await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'exit 42'])).code, 42);
  const nf = await d.berth(['run', '--rm', 'busybox', 'no-such-command']);
  assert.equal(nf.code, 127, nf.stderr);
  assert.match(nf.stderr, /no-such-command/);
  const ni = await d.berth(['run', '--rm', 'busybox', '/etc/passwd']);
  assert.equal(ni.code, 126, ni.stderr);
  const noimg = await d.berth(['run', '--rm', 'nosuchimage:1.0', 'true']);
  assert.equal(noimg.code, 125, noimg.stderr);
  const badflag = await d.berth(['run', '--no-such-flag', 'busybox']);
  assert.equal(badflag.code, 125);
});

test('stdout and stderr stay apart', async () => {
  const r = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
});

test('env, env-file, workdir, user, hostname, entrypoint and labels', async () => {
  const r = await d.berth(['run', '--rm', '-e', 'A=1', '-e', 'B=two words', '-w', '/tmp', '-h', 'boat', 'busybox', 'sh', '-c', 'echo "$A|$B|$(pwd)|$(hostname)"']);
  assert.equal(r.stdout, '1|two words|/tmp|boat\n', r.stderr);
  const u = await d.berth(['run', '--rm', '-u', 'nobody', 'busybox', 'id']);
  assert.match(u.stdout, /uid=65534\(nobody\) gid=65534\(nogroup\)/);
  const ug = await d.berth(['run', '--rm', '-u', '1234:5678', 'busybox', 'id', '-u']);
  assert.equal(ug.stdout.trim(), '1234');
  const badUser = await d.berth(['run', '--rm', '-u', 'nosuchuser', 'busybox', 'id']);
  assert.notEqual(badUser.code, 0);
  assert.match(badUser.stderr, /nosuchuser/);
  const ep = await d.berth(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'via', 'entrypoint']);
  assert.equal(ep.stdout, 'via entrypoint\n');
  const id = (await d.berth(['create', '-l', 'team=boats', '--name', 'labelled', 'busybox', 'true'])).stdout.trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  const lab = await d.berth(['inspect', '-f', '{{index .Config.Labels "team"}}', 'labelled']);
  assert.equal(lab.stdout.trim(), 'boats');
  await d.berth(['rm', 'labelled']);
});

test('stdin is piped into the container with -i', async () => {
  const r = await d.berth(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'tr a-z A-Z; echo done'], { input: 'shout this\n' });
  assert.equal(r.stdout, 'SHOUT THIS\ndone\n', r.stderr);
});

test('isolation: pid 1, own hostname, loopback only, no host mounts, Docker capabilities', async () => {
  const r = await d.berth([
    'run', '--rm', '--network', 'none', 'busybox', 'sh', '-c',
    'echo pid=$$; ls /sys/class/net | tr "\\n" " "; echo; grep CapEff /proc/self/status; cat /proc/1/cmdline | tr "\\0" " "; echo; ip link show lo | head -1',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const [pid, nets, cap, , lo] = r.stdout.split('\n');
  assert.equal(pid, 'pid=1');
  assert.equal(nets?.trim(), 'lo');
  // Docker's default set: chown dac_override fowner fsetid kill setgid setuid setpcap net_bind_service net_raw sys_chroot mknod audit_write setfcap
  assert.equal(cap?.split(/\s+/)[1], '00000000a80425fb');
  assert.match(lo ?? '', /UP/);
  const ro = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo x > /proc/sys/kernel/domainname']);
  assert.notEqual(ro.code, 0, 'proc/sys must be read-only');
});

test('the writable layer belongs to the container and dies with it', async () => {
  const id = (await d.berth(['run', '-d', 'busybox', 'sh', '-c', 'echo data > /made-here; sleep 30'])).stdout.trim();
  const other = await d.berth(['run', '--rm', 'busybox', 'cat', '/made-here']);
  assert.notEqual(other.code, 0, 'another container must not see the first one\'s files');
  const insp = JSON.parse((await d.berth(['inspect', id])).stdout)[0];
  const upper: string | undefined = insp.GraphDriver.Data.UpperDir ?? insp.GraphDriver.Data.MergedDir;
  assert.ok(upper);
  await d.berth(['rm', '-f', id]);
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(upper), false);
});

test('detached containers: ps, logs, stop, kill, restart, wait, pause', async () => {
  const id = (await d.berth(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'trap "echo bye; exit 7" TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done'])).stdout.trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  const ps = await d.berth(['ps']);
  assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/m);
  assert.match(ps.stdout, /ticker/);
  assert.match(ps.stdout, /Up /);
  await new Promise((r) => setTimeout(r, 700));
  const logs = await d.berth(['logs', '--tail', '2', 'ticker']);
  assert.equal(logs.stdout.trim().split('\n').length, 2);
  await d.berth(['pause', 'ticker']);
  assert.equal((await d.berth(['inspect', '-f', '{{.State.Status}}', 'ticker'])).stdout.trim(), 'paused');
  const before = (await d.berth(['logs', 'ticker'])).stdout.split('\n').length;
  await new Promise((r) => setTimeout(r, 700));
  const during = (await d.berth(['logs', 'ticker'])).stdout.split('\n').length;
  assert.equal(during, before, 'a paused container makes no progress');
  await d.berth(['unpause', 'ticker']);
  const stop = await d.berth(['stop', 'ticker']);
  assert.equal(stop.code, 0, stop.stderr);
  const st = JSON.parse((await d.berth(['inspect', 'ticker'])).stdout)[0].State;
  assert.equal(st.Status, 'exited');
  assert.equal(st.ExitCode, 7);
  assert.match((await d.berth(['logs', 'ticker'])).stdout, /bye/);
  await d.berth(['start', 'ticker']);
  await d.berth(['kill', '-s', 'KILL', 'ticker']);
  const w = await d.berth(['wait', 'ticker']);
  assert.equal(w.stdout.trim(), '137');
  await d.berth(['restart', '-t', '1', 'ticker']);
  assert.equal((await d.berth(['inspect', '-f', '{{.State.Running}}', 'ticker'])).stdout.trim(), 'true');
  const rm = await d.berth(['rm', 'ticker']);
  assert.notEqual(rm.code, 0);
  assert.match(rm.stderr, /cannot remove a running container/);
  assert.equal((await d.berth(['rm', '-f', 'ticker'])).code, 0);
});

test('ps filters, -q, -n, --no-trunc and container prune', async () => {
  await d.berth(['run', '--name', 'ok0', '-l', 'k=v', 'busybox', 'true']);
  await d.berth(['run', '--name', 'fail3', 'busybox', 'sh', '-c', 'exit 3']);
  const exited3 = await d.berth(['ps', '-a', '--filter', 'exited=3', '--format', '{{.Names}}']);
  assert.equal(exited3.stdout.trim(), 'fail3');
  const lab = await d.berth(['ps', '-a', '--filter', 'label=k=v', '--format', '{{.Names}}']);
  assert.equal(lab.stdout.trim(), 'ok0');
  const byName = await d.berth(['ps', '-a', '--filter', 'name=fail', '-q', '--no-trunc']);
  assert.match(byName.stdout.trim(), /^[a-f0-9]{64}$/);
  const last = await d.berth(['ps', '-a', '-n', '1', '--format', '{{.Names}}']);
  assert.equal(last.stdout.trim(), 'fail3');
  const st = await d.berth(['ps', '-a', '--filter', 'status=exited', '-q']);
  assert.equal(st.stdout.trim().split('\n').length, 2);
  const prune = await d.berth(['container', 'prune', '-f']);
  assert.equal(prune.code, 0, prune.stderr);
  assert.equal((await d.berth(['ps', '-aq'])).stdout.trim(), '');
});

test('errors: unknown container, name conflict', async () => {
  const r = await d.berth(['inspect', 'nope']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /No such object: nope/);
  const s = await d.berth(['start', 'nope']);
  assert.match(s.stderr, /No such container: nope/);
  await d.berth(['create', '--name', 'twin', 'busybox', 'true']);
  const c = await d.berth(['create', '--name', 'twin', 'busybox', 'true']);
  assert.equal(c.code, 125);
  assert.match(c.stderr, /Conflict\. The container name "\/twin" is already in use/);
  await d.berth(['rm', 'twin']);
});
