import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

/** The Seccomp: line of /proc/self/status: 0 = no filter, 2 = filter. */
const SECCOMP_MODE = 'grep "^Seccomp:" /proc/self/status | cut -f2';

const HOST_CAPBND = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];

test('default profile: ordinary work runs, namespace and mount calls fail with EPERM', async () => {
  const script = [
    SECCOMP_MODE,
    'ls / >/dev/null && date >/dev/null && mkdir /tmp/a && echo hi > /tmp/a/f && cat /tmp/a/f && rm -r /tmp/a',
    '(sleep 0 & wait) && echo forked',
    'linux32 uname -m',
    'unshare -U true 2>&1; echo "unshare-U=$?"',
    'unshare -m true 2>&1; echo "unshare-m=$?"',
    'mkdir -p /tmp/m; mount -t tmpfs none /tmp/m 2>&1; echo "mount=$?"',
    'dd if=/dev/zero of=/tmp/swap bs=4k count=16 2>/dev/null; swapon /tmp/swap 2>&1; echo "swapon=$?"',
  ].join('\n');
  const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', script]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^2\n/, 'a filter is installed');
  assert.match(out, /^hi$/m);
  assert.match(out, /^forked$/m);
  assert.match(out, /^i686$/m, 'personality(PER_LINUX32) is one of the allowed values');
  // A user namespace needs no capability: only the filter refuses it.
  assert.match(out, /unshare: unshare\(0x10000000\): Operation not permitted\nunshare-U=1/);
  assert.match(out, /unshare: unshare\(0x20000\): Operation not permitted\nunshare-m=1/);
  assert.match(out, /mount: permission denied \(are you root\?\)\nmount=1/);
  assert.match(out, /swapon: \/tmp\/swap: Operation not permitted\nswapon=1/);
});

test('--security-opt seccomp=unconfined: no filter, a user namespace can be made', async () => {
  const r = await d.docker(['run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'sh', '-c', `${SECCOMP_MODE}; unshare -U true && echo userns-ok`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '0\nuserns-ok\n');
  const c = await d.docker(['create', '--name', 'unconfined', '--security-opt', 'seccomp=unconfined', 'busybox', 'true']);
  assert.equal(c.code, 0, c.stderr);
  const hc = JSON.parse((await d.docker(['inspect', 'unconfined'])).stdout)[0].HostConfig;
  assert.deepEqual(hc.SecurityOpt, ['seccomp=unconfined']);
  await d.berth(['rm', 'unconfined']);
});

test('--privileged runs without a filter; --cap-add SYS_ADMIN lets mount work under the default profile', async () => {
  const priv = await d.berth(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', SECCOMP_MODE]);
  assert.equal(priv.code, 0, priv.stderr);
  assert.equal(priv.stdout, '0\n');
  const admin = await d.docker(['run', '--rm', '--cap-add', 'SYS_ADMIN', 'busybox', 'sh', '-c', `${SECCOMP_MODE}; mkdir /tmp/m; mount -t tmpfs none /tmp/m && touch /tmp/m/x && umount /tmp/m && echo mounted; unshare -m true && echo unshared`]);
  assert.equal(admin.code, 0, admin.stderr);
  assert.equal(admin.stdout, '2\nmounted\nunshared\n');
  // Every capability at once (the rules for several capabilities overlap) still starts.
  const all = await d.berth(['run', '--rm', '--cap-add', 'ALL', 'busybox', 'sh', '-c', `${SECCOMP_MODE}; unshare -U true && echo ok`]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout, '2\nok\n');
});

const DENY_MKDIR = {
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
};

for (const cli of ['docker', 'berth'] as const) {
  test(`${cli} run --security-opt seccomp=FILE: the profile's rules apply, the rest works`, async () => {
    const file = join(d.dir, `deny-mkdir-${cli}.json`);
    await writeFile(file, JSON.stringify(DENY_MKDIR, null, 2));
    const r = await d[cli](['run', '--name', `custom-${cli}`, '--security-opt', `seccomp=${file}`, 'busybox', 'sh', '-c', `${SECCOMP_MODE}; mkdir /x 2>&1; echo "mkdir=$?"; touch /y && ls /y && unshare -U true && echo rest-ok`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "2\nmkdir: can't create directory '/x': Operation not permitted\nmkdir=1\n/y\nrest-ok\n");
    // The profile travelled inline, and inspect shows it as the client sent it.
    const hc = JSON.parse((await d.docker(['inspect', `custom-${cli}`])).stdout)[0].HostConfig;
    assert.equal(hc.SecurityOpt.length, 1);
    assert.ok(hc.SecurityOpt[0].startsWith('seccomp={'), hc.SecurityOpt[0]);
    assert.deepEqual(JSON.parse(hc.SecurityOpt[0].slice('seccomp='.length)), DENY_MKDIR);
    await d.berth(['rm', `custom-${cli}`]);
  });
}

test('a bad profile is refused at create with 400 and a sentence naming the mistake', async () => {
  const create = (opt: string) => d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { SecurityOpt: [opt] } });
  const broken = await create('seccomp={"defaultAction": "SCMP_ACT_ALLOW",');
  assert.equal(broken.status, 400);
  assert.match((broken.json as { message: string }).message, /^decoding seccomp profile failed: /);
  const action = await create(`seccomp=${JSON.stringify({ ...DENY_MKDIR, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_DENY' }] })}`);
  assert.equal(action.status, 400);
  assert.match((action.json as { message: string }).message, /unknown action "SCMP_ACT_DENY" in syscalls\[0\]\.action/);
  const path = await create('seccomp=/etc/profile.json');
  assert.equal(path.status, 400);
  assert.match((path.json as { message: string }).message, /profile's JSON text/);
  // Through the real docker CLI: valid JSON with a wrong action reaches the daemon and fails the run.
  const file = join(d.dir, 'bad-action.json');
  await writeFile(file, JSON.stringify({ defaultAction: 'SCMP_ACT_EXPLODE', syscalls: [] }));
  const r = await d.docker(['run', '--rm', '--security-opt', `seccomp=${file}`, 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /invalid seccomp profile: unknown action "SCMP_ACT_EXPLODE" in defaultAction/);
  // Malformed JSON never leaves either CLI.
  await writeFile(file, '{"defaultAction": ');
  for (const cli of ['docker', 'berth'] as const) {
    const m = await d[cli](['run', '--rm', '--security-opt', `seccomp=${file}`, 'busybox', 'true']);
    assert.notEqual(m.code, 0);
    assert.match(m.stderr, /compacting json for seccomp profile/);
  }
  const ps = await d.api('GET', '/containers/json?all=1');
  assert.deepEqual(ps.json, [], 'no container was created by the refused requests');
});

test('docker info lists the seccomp profile', async () => {
  const r = await d.docker(['info', '--format', '{{json .SecurityOptions}}']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), ['name=seccomp,profile=builtin', 'name=cgroupns']);
  // Both CLIs print the section alike.
  const section = (text: string): string => /^ Security Options:\n(?: {2}.*\n)*/m.exec(text)?.[0] ?? '';
  const docker = section((await d.docker(['info'])).stdout);
  assert.equal(docker, ' Security Options:\n  seccomp\n   Profile: builtin\n  cgroupns\n');
  assert.equal(section((await d.berth(['info'])).stdout), docker);
});

test('exec --privileged: every capability, but still the container\'s seccomp filter', async () => {
  const id = (await d.berth(['run', '-d', 'busybox', 'sleep', '300'])).stdout.trim();
  const plain = await d.docker(['exec', id, 'sh', '-c', 'grep -E "^(CapEff|Seccomp):" /proc/self/status']);
  assert.match(plain.stdout, /CapEff:\s+00000000a80425fb/);
  for (const cli of ['docker', 'berth'] as const) {
    const priv = await d[cli](['exec', '--privileged', id, 'sh', '-c', 'grep -E "^(CapEff|Seccomp):" /proc/self/status; mkdir -p /tmp/m; mount -t tmpfs none /tmp/m 2>&1; echo "mount=$?"']);
    assert.equal(priv.code, 0, priv.stderr);
    assert.match(priv.stdout, new RegExp(`CapEff:\\s+${HOST_CAPBND}\\n`), 'all the capabilities the host has');
    // runc puts the container's filter on every process it starts in it: mount stays refused.
    assert.match(priv.stdout, /Seccomp:\s+2\n/);
    assert.match(priv.stdout, /mount: permission denied \(are you root\?\)\nmount=1/);
  }
  await d.berth(['rm', '-f', id]);
  // In an unconfined container the same exec can mount: the capabilities are real.
  const u = (await d.berth(['run', '-d', '--security-opt', 'seccomp=unconfined', 'busybox', 'sleep', '300'])).stdout.trim();
  const m = await d.docker(['exec', '--privileged', u, 'sh', '-c', 'mkdir -p /tmp/m; mount -t tmpfs none /tmp/m && umount /tmp/m && echo mounted']);
  assert.equal(m.stdout, 'mounted\n', m.stderr);
  const no = await d.docker(['exec', u, 'sh', '-c', 'mkdir -p /tmp/m; mount -t tmpfs none /tmp/m 2>&1; echo "mount=$?"']);
  assert.match(no.stdout, /mount=1/, 'without --privileged the exec has only the container\'s capabilities');
  await d.berth(['rm', '-f', u]);
});

test('berthd --seccomp-profile (here via BERTH_SECCOMP_PROFILE) changes the default; a broken file stops berthd with a reason', async () => {
  const file = join(d.dir, 'daemon-default.json');
  await writeFile(file, JSON.stringify(DENY_MKDIR));
  const broken = join(d.dir, 'daemon-broken.json');
  await writeFile(broken, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOPE' }] }));
  const restart = async (profile: string | undefined): Promise<void> => {
    await d.stopDaemon();
    if (profile === undefined) delete process.env['BERTH_SECCOMP_PROFILE'];
    else process.env['BERTH_SECCOMP_PROFILE'] = profile;
    try {
      await d.spawn();
    } finally {
      delete process.env['BERTH_SECCOMP_PROFILE'];
    }
  };
  try {
    await assert.rejects(restart(broken), /berthd did not start: [^]*invalid seccomp profile: unknown action "SCMP_ACT_NOPE" in syscalls\[0\]\.action/);
    await restart(file);
    const info = await d.docker(['info', '--format', '{{json .SecurityOptions}}']);
    assert.deepEqual(JSON.parse(info.stdout), [`name=seccomp,profile=${file}`, 'name=cgroupns']);
    const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'mkdir /x 2>&1; unshare -U true && echo userns-ok']);
    assert.equal(r.stdout, "mkdir: can't create directory '/x': Operation not permitted\nuserns-ok\n", r.stderr);
    // As in Docker, seccomp=builtin names the daemon's default, whatever that is.
    const b = await d.docker(['run', '--rm', '--security-opt', 'seccomp=builtin', 'busybox', 'sh', '-c', 'mkdir /x 2>&1; unshare -U true && echo userns-ok']);
    assert.equal(b.stdout, r.stdout, b.stderr);
  } finally {
    await restart(undefined);
  }
});

test('default profile: a threaded glibc program (the host\'s node, bind-mounted) runs: clone3 falls back to clone, io_uring to threads', async () => {
  const loader = realpathSync(process.arch === 'arm64' ? '/lib/ld-linux-aarch64.so.1' : '/lib64/ld-linux-x86-64.so.2');
  assert.ok(loader.startsWith('/usr/'), loader);
  const js = "const {Worker}=require('worker_threads');const w=new Worker('require(\"worker_threads\").parentPort.postMessage(6*7)',{eval:true});w.on('message',async(n)=>{const t=await require('fs').promises.readFile('/etc/hostname','utf8');console.log('node',n,t.trim().length>0);process.exit(0)})";
  const r = await d.docker(['run', '--rm', '-v', '/usr:/host/usr:ro', 'busybox', `/host${loader}`, '--library-path', `/host${dirname(loader)}`, '/host/usr/bin/node', '-e', js]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'node 42 true\n');
});

test('profile actions reach runc: KILL_PROCESS, TRAP, LOG, ERRNO with its own errno; flags runc 1.1 lacks are refused at create', async () => {
  const file = join(d.dir, 'actions.json');
  await writeFile(file, JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['rmdir'], action: 'SCMP_ACT_TRAP' },
      { names: ['symlink', 'symlinkat'], action: 'SCMP_ACT_LOG' },
      { names: ['link', 'linkat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
    ],
  }));
  const r = await d.docker(['run', '--rm', '--security-opt', `seccomp=${file}`, 'busybox', 'sh', '-c', 'mkdir /x; echo "mkdir=$?"; rmdir /tmp; echo "rmdir=$?"; ln -s /a /s && echo symlink-ok; ln /bin/sh /h 2>&1; echo "link=$?"']);
  assert.equal(r.code, 0, r.stderr);
  // 128 + SIGSYS (31): the filter killed the process.
  assert.equal(r.stdout, "mkdir=159\nrmdir=159\nsymlink-ok\nln: /h: Permission denied\nlink=1\n");
  await writeFile(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'], syscalls: [] }));
  const f = await d.docker(['run', '--rm', '--security-opt', `seccomp=${file}`, 'busybox', 'true']);
  assert.equal(f.code, 125);
  assert.match(f.stderr, /invalid seccomp profile: flags \(SECCOMP_FILTER_FLAG_SPEC_ALLOW\) are not supported by the runtime \(runc 1\.1\)/);
});
