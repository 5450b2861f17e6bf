import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgument } from '../../errdefs/index.js';
import { compileSeccomp, parseKernelVersion, parseSeccompProfile } from './seccomp.js';
import type { SeccompTarget } from './seccomp.js';
import { CLONE_NAMESPACE_FLAGS, DEFAULT_SECCOMP_PROFILE } from './seccomp-default.js';
import { DEFAULT_CAPABILITIES } from './spec-defaults.js';
import type { OciSeccomp } from './spec-types.js';

const x64: SeccompTarget = { capabilities: DEFAULT_CAPABILITIES, arch: 'x64', kernel: { major: 6, minor: 18 } };

/** The rules of a compiled filter that name a syscall. */
function rulesFor(f: OciSeccomp, name: string): NonNullable<OciSeccomp['syscalls']> {
  return (f.syscalls ?? []).filter((s) => s.names.includes(name));
}

/** Allowed whatever its arguments: an ALLOW rule without argument conditions. */
function allowedOutright(f: OciSeccomp, name: string): boolean {
  return rulesFor(f, name).some((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args?.length);
}

test('a Docker-format profile is read: names or name, args, includes/excludes, archMap', () => {
  const p = parseSeccompProfile(
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { name: 'socket', action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
        { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] }, comment: 'admin' },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'], minKernel: '' } },
      ],
    }),
  );
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.deepEqual(p.syscalls[1], { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] });
  assert.deepEqual(p.syscalls[2]?.includes, { caps: ['CAP_SYS_ADMIN'] });
  assert.deepEqual(p.syscalls[3]?.excludes, { caps: ['CAP_SYS_ADMIN'] });
  const f = compileSeccomp(p, x64);
  assert.deepEqual(f.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  assert.deepEqual(
    f.syscalls?.map((s) => s.names[0]),
    ['read', 'socket', 'clone3'],
    'mount needs CAP_SYS_ADMIN, which the default set lacks',
  );
  const admin = compileSeccomp(p, { ...x64, capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'] });
  assert.deepEqual(admin.syscalls?.map((s) => s.names[0]), ['read', 'socket', 'mount']);
  // The spec form has no Docker-only fields left.
  assert.ok(!JSON.stringify(f).includes('includes') && !JSON.stringify(f).includes('comment'));
});

test('bad profiles are refused with a sentence that names the mistake', () => {
  const bad = (v: unknown, re: RegExp): void => {
    assert.throws(() => parseSeccompProfile(typeof v === 'string' ? v : JSON.stringify(v)), (e: unknown) => e instanceof InvalidArgument && re.test(e.message));
  };
  bad('{"defaultAction": ', /^decoding seccomp profile failed: /);
  bad('[]', /expected a JSON object/);
  bad({ syscalls: [] }, /unknown action undefined in defaultAction/);
  bad({ defaultAction: 'SCMP_ACT_DENY' }, /unknown action "SCMP_ACT_DENY" in defaultAction \(one of SCMP_ACT_KILL,/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'allow' }] }, /unknown action "allow" in syscalls\[0\]\.action/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'EQ' }] }] }, /unknown operator "EQ" in syscalls\[0\]\.args\[0\]/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, /index must be 0 to 5/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] }, /value must be a non-negative integer/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ action: 'SCMP_ACT_ERRNO' }] }, /syscalls\[0\] names no syscall/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ERRNO' }] }, /either 'name' or 'names'/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }] }, /both 'architectures' and 'archMap'/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['x86_64'] }, /unknown architecture "x86_64" in architectures\[0\]/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: 'four' } }] }, /minKernel must look like "4.8"/);
  bad({ defaultAction: 'SCMP_ACT_NOTIFY' }, /SCMP_ACT_NOTIFY needs a listenerPath/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG'] }, /flags \(SECCOMP_FILTER_FLAG_LOG\) are not supported by the runtime \(runc 1\.1\)/);
});

test('includes/excludes: arches by Go or uname name, caps all-of / any-of, minKernel', () => {
  const p = parseSeccompProfile(
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
        { names: ['set_tls'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
        { names: ['two_caps'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_KILL', 'CAP_SYS_TIME'] } },
        { names: ['new'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.10' } },
        { names: ['old'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '5.10' } },
        { names: ['not_arm'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['aarch64'] } },
      ],
    }),
  );
  const names = (t: SeccompTarget): string[] => compileSeccomp(p, t).syscalls?.map((s) => s.names[0] ?? '') ?? [];
  assert.deepEqual(names(x64), ['arch_prctl', 'new', 'not_arm']);
  assert.deepEqual(names({ ...x64, arch: 'arm64', kernel: { major: 5, minor: 4 } }), ['set_tls', 'old']);
  assert.deepEqual(names({ ...x64, capabilities: ['CAP_KILL', 'CAP_SYS_TIME'], kernel: { major: 5, minor: 10 } }), ['arch_prctl', 'two_caps', 'new', 'not_arm']);
  assert.deepEqual(parseKernelVersion('6.18.44-fc-v782'), { major: 6, minor: 18 });
});

test('default profile: EPERM by default, the native arch with its 32-bit companions', () => {
  const f = compileSeccomp(DEFAULT_SECCOMP_PROFILE, x64);
  assert.equal(f.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(f.defaultErrnoRet, 1);
  assert.deepEqual(f.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(compileSeccomp(DEFAULT_SECCOMP_PROFILE, { ...x64, arch: 'arm64' }).architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  for (const name of ['read', 'write', 'openat', 'execve', 'fork', 'wait4', 'mmap', 'futex', 'epoll_pwait', 'getdents64', 'rt_sigaction', 'prctl', 'chroot', 'arch_prctl', 'ptrace']) {
    assert.ok(allowedOutright(f, name), `${name} is allowed`);
  }
  assert.ok(!allowedOutright(compileSeccomp(DEFAULT_SECCOMP_PROFILE, { ...x64, kernel: { major: 4, minor: 4 } }), 'ptrace'), 'before 4.8 ptrace could undo the filter');
  assert.ok(!allowedOutright(compileSeccomp(DEFAULT_SECCOMP_PROFILE, { ...x64, arch: 'arm64' }), 'arch_prctl'));
});

test('default profile: the dangerous calls stay refused without their capability', () => {
  const f = compileSeccomp(DEFAULT_SECCOMP_PROFILE, x64);
  const refused = [
    'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'mount', 'umount2', 'pivot_root', 'reboot',
    'swapon', 'swapoff', 'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'unshare', 'setns', 'open_by_handle_at',
    'userfaultfd', 'io_uring_setup', 'acct', 'settimeofday', 'clock_settime', 'iopl', 'fsopen', 'move_mount', 'syslog', 'quotactl',
  ];
  for (const name of refused) assert.deepEqual(rulesFor(f, name), [], `${name} is refused`);
  // clone only without namespace flags; clone3 says ENOSYS so libc falls back to clone.
  assert.deepEqual(rulesFor(f, 'clone'), [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }]);
  assert.equal(CLONE_NAMESPACE_FLAGS, 0x7e020000);
  assert.deepEqual(rulesFor(f, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  // personality: only the values listed, one rule each.
  const pers = rulesFor(f, 'personality');
  assert.deepEqual(pers.map((r) => r.args?.[0]?.value), [0, 8, 0x20000, 0x20008, 0xffffffff]);
  assert.ok(pers.every((r) => r.args?.length === 1 && r.args[0]?.op === 'SCMP_CMP_EQ'));
  // Without CAP_SYS_CHROOT, chroot goes too.
  assert.deepEqual(rulesFor(compileSeccomp(DEFAULT_SECCOMP_PROFILE, { ...x64, capabilities: ['CAP_KILL'] }), 'chroot'), []);
});

test('default profile: a capability brings back the calls it guards', () => {
  const withCap = (cap: string): OciSeccomp => compileSeccomp(DEFAULT_SECCOMP_PROFILE, { ...x64, capabilities: [...DEFAULT_CAPABILITIES, cap] });
  const admin = withCap('CAP_SYS_ADMIN');
  for (const name of ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3', 'sethostname', 'fsopen']) assert.ok(allowedOutright(admin, name), `SYS_ADMIN: ${name}`);
  assert.ok(!rulesFor(admin, 'clone3').some((r) => r.action === 'SCMP_ACT_ERRNO'), 'no ENOSYS for clone3 with SYS_ADMIN');
  assert.ok(!rulesFor(admin, 'clone').some((r) => r.args?.length), 'clone with any flags');
  assert.deepEqual(rulesFor(admin, 'pivot_root'), [], 'pivot_root stays out even with SYS_ADMIN, as in Docker');
  const pairs: [string, string][] = [
    ['CAP_SYS_MODULE', 'finit_module'], ['CAP_SYS_BOOT', 'reboot'], ['CAP_SYS_TIME', 'clock_settime'], ['CAP_SYS_PTRACE', 'userfaultfd'],
    ['CAP_SYS_NICE', 'mbind'], ['CAP_SYS_RAWIO', 'iopl'], ['CAP_SYS_PACCT', 'acct'], ['CAP_BPF', 'bpf'], ['CAP_PERFMON', 'perf_event_open'],
    ['CAP_DAC_READ_SEARCH', 'open_by_handle_at'], ['CAP_SYS_TTY_CONFIG', 'vhangup'], ['CAP_SYSLOG', 'syslog'],
  ];
  for (const [cap, name] of pairs) assert.ok(allowedOutright(withCap(cap), name), `${cap}: ${name}`);
  for (const name of ['kexec_load', 'keyctl', 'swapon', 'io_uring_setup']) {
    assert.deepEqual(rulesFor(compileSeccomp(DEFAULT_SECCOMP_PROFILE, { ...x64, capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT'] }), name), [], `${name}: no capability brings it back`);
  }
});
