import type { SeccompProfile, SeccompRule } from './seccomp.js';

/*
 * berth's default seccomp profile: an allow-list. A syscall not named here fails with EPERM; one
 * newer than runc's libseccomp (2.5.4 here) knows fails with ENOSYS, runc's own rule, so libc can
 * fall back (names it does not know, like mseal, are skipped by runc: allowing them is harmless).
 *
 * What stays out, and why (each is either not namespaced, so a container could touch the host
 * with it, or a large kernel attack surface that ordinary programs do not need):
 *   kexec_load kexec_file_load reboot          replace or stop the host kernel (reboot: CAP_SYS_BOOT)
 *   init_module finit_module delete_module     load code into the kernel (CAP_SYS_MODULE)
 *   create_module get_kernel_syms query_module obsolete module calls
 *   mount umount umount2 pivot_root, the new   change mounts (mount family: CAP_SYS_ADMIN)
 *   mount API (fsopen fsconfig fsmount …)
 *   unshare setns, clone/clone3 with CLONE_NEW* new namespaces: kernel surface otherwise out of reach (CAP_SYS_ADMIN)
 *   swapon swapoff                             host memory management
 *   keyctl add_key request_key                 the kernel keyring is not namespaced
 *   bpf perf_event_open                        kernel programs and host-wide tracing (CAP_SYS_ADMIN / CAP_BPF / CAP_PERFMON)
 *   userfaultfd                                a classic exploit helper (CAP_SYS_PTRACE)
 *   open_by_handle_at                          opens host files by handle, around the mount namespace (CAP_DAC_READ_SEARCH)
 *   personality, except the safe values        some personalities weaken ASLR
 *   io_uring_setup io_uring_enter …            a large, often-exploited surface that bypasses this filter
 *   acct quotactl lookup_dcookie               host-wide accounting and quotas (CAP_SYS_PACCT, CAP_SYS_ADMIN)
 *   nfsservctl sysfs _sysctl ustat uselib vm86 obsolete
 *   settimeofday stime clock_settime           the clock is the host's (CAP_SYS_TIME)
 *   iopl ioperm, vhangup, syslog, NUMA policy  gated by CAP_SYS_RAWIO, CAP_SYS_TTY_CONFIG, CAP_SYSLOG, CAP_SYS_NICE
 * A capability granted with --cap-add brings back the calls it guards; --privileged (and
 * --security-opt seccomp=unconfined) runs with no filter at all.
 */

/** The namespace flags of clone(2): a plain fork or thread creation never sets one. */
const CLONE_NEWNS = 0x00020000;
const CLONE_NEWCGROUP = 0x02000000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNET = 0x40000000;
export const CLONE_NAMESPACE_FLAGS = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

const EPERM = 1;
const ENOSYS = 38;
const AF_VSOCK = 40;

/** personality(2) values that change nothing dangerous: Linux, 32-bit uname, 2.6-style uname, both, and the query. */
const SAFE_PERSONALITIES = [0x0, 0x0008, 0x20000, 0x20008, 0xffffffff];

const FILES = [
  'access', 'faccessat', 'faccessat2', 'chdir', 'fchdir', 'getcwd', 'chmod', 'fchmod', 'fchmodat', 'fchmodat2',
  'chown', 'chown32', 'fchown', 'fchown32', 'fchownat', 'lchown', 'lchown32', 'umask',
  'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'dup', 'dup2', 'dup3', 'fcntl', 'fcntl64', 'flock',
  'read', 'readv', 'pread64', 'preadv', 'preadv2', 'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2',
  'lseek', '_llseek', 'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice', 'copy_file_range',
  'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range', 'sync_file_range2', 'arm_sync_file_range',
  'fallocate', 'fadvise64', 'fadvise64_64', 'arm_fadvise64_64', 'readahead', 'cachestat',
  'truncate', 'truncate64', 'ftruncate', 'ftruncate64', 'getdents', 'getdents64',
  'link', 'linkat', 'symlink', 'symlinkat', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2',
  'mkdir', 'mkdirat', 'rmdir', 'mknod', 'mknodat', 'readlink', 'readlinkat',
  'stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'fstatat64', 'newfstatat', 'statx',
  'statfs', 'statfs64', 'fstatfs', 'fstatfs64', 'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat',
  'getxattr', 'lgetxattr', 'fgetxattr', 'getxattrat', 'listxattr', 'llistxattr', 'flistxattr', 'listxattrat',
  'setxattr', 'lsetxattr', 'fsetxattr', 'setxattrat', 'removexattr', 'lremovexattr', 'fremovexattr', 'removexattrat',
  'file_getattr', 'file_setattr', 'ioctl', 'name_to_handle_at',
  'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark',
];

const MEMORY = [
  'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'remap_file_pages',
  'mlock', 'mlock2', 'mlockall', 'munlock', 'munlockall', 'pkey_alloc', 'pkey_free', 'pkey_mprotect',
  'memfd_create', 'memfd_secret', 'membarrier', 'map_shadow_stack', 'mseal',
];

const PROCESSES = [
  'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'waitpid',
  'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid',
  'getuid', 'getuid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getegid', 'getegid32',
  'getresuid', 'getresuid32', 'getresgid', 'getresgid32', 'getgroups', 'getgroups32',
  'setuid', 'setuid32', 'setgid', 'setgid32', 'setreuid', 'setreuid32', 'setregid', 'setregid32',
  'setresuid', 'setresuid32', 'setresgid', 'setresgid32', 'setgroups', 'setgroups32',
  'setfsuid', 'setfsuid32', 'setfsgid', 'setfsgid32', 'capget', 'capset', 'prctl', 'seccomp',
  'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set',
  'sched_yield', 'sched_getaffinity', 'sched_setaffinity', 'sched_getparam', 'sched_setparam',
  'sched_getscheduler', 'sched_setscheduler', 'sched_getattr', 'sched_setattr',
  'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval', 'sched_rr_get_interval_time64',
  'getrlimit', 'ugetrlimit', 'setrlimit', 'prlimit64', 'getrusage', 'times', 'uname', 'sysinfo', 'getcpu', 'getrandom',
  'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq', 'set_thread_area', 'get_thread_area',
  'futex', 'futex_time64', 'futex_waitv', 'futex_wake', 'futex_wait', 'futex_requeue',
  'kill', 'tkill', 'tgkill', 'pidfd_open', 'pidfd_send_signal', 'process_mrelease', 'restart_syscall',
  'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self', 'lsm_get_self_attr', 'lsm_list_modules',
];

const SIGNALS = [
  'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending', 'rt_sigsuspend', 'rt_sigtimedwait',
  'rt_sigtimedwait_time64', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'sigaction', 'sigprocmask', 'sigreturn',
  'sigpending', 'sigsuspend', 'signal', 'sigaltstack', 'signalfd', 'signalfd4', 'pause', 'alarm',
];

/** Reading clocks and timers; adjtimex/clock_adjtime only read unless the caller holds CAP_SYS_TIME, which the kernel checks. */
const TIME = [
  'clock_gettime', 'clock_gettime64', 'clock_getres', 'clock_getres_time64', 'clock_nanosleep', 'clock_nanosleep_time64',
  'nanosleep', 'gettimeofday', 'time', 'getitimer', 'setitimer', 'adjtimex', 'clock_adjtime', 'clock_adjtime64',
  'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64',
  'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64',
];

const WAITING = [
  'select', '_newselect', 'pselect6', 'pselect6_time64', 'poll', 'ppoll', 'ppoll_time64',
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait', 'epoll_wait_old', 'epoll_pwait', 'epoll_pwait2',
  'eventfd', 'eventfd2',
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64',
];

/** Sockets (socket itself has its own rule); 'socketcall', 'send', 'recv' are the 32-bit x86 and ARM entries. */
const NETWORK = [
  'socketpair', 'bind', 'connect', 'listen', 'accept', 'accept4', 'getsockname', 'getpeername',
  'getsockopt', 'setsockopt', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'recvmmsg_time64',
  'shutdown', 'socketcall', 'send', 'recv',
];

const IPC = [
  'pipe', 'pipe2', 'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64', 'semctl',
  'shmget', 'shmat', 'shmdt', 'shmctl', 'ipc', 'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedsend_time64',
  'mq_timedreceive', 'mq_timedreceive_time64', 'mq_notify', 'mq_getsetattr',
];

/** Calls each capability guards; granted with the capability (--cap-add), as the kernel would check it anyway. */
const BY_CAPABILITY: Record<string, string[]> = {
  CAP_SYS_ADMIN: [
    'mount', 'umount', 'umount2', 'mount_setattr', 'move_mount', 'open_tree', 'open_tree_attr', 'fsopen', 'fsconfig',
    'fsmount', 'fspick', 'statmount', 'listmount', 'unshare', 'setns', 'clone', 'clone3', 'sethostname', 'setdomainname',
    'fanotify_init', 'quotactl', 'quotactl_fd', 'lookup_dcookie', 'bpf', 'perf_event_open', 'syslog',
  ],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
  CAP_SYSLOG: ['syslog'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'process_madvise', 'userfaultfd'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYS_NICE: ['get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node', 'mbind', 'move_pages', 'migrate_pages'],
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
};

const allow = (names: string[], more: Partial<SeccompRule> = {}): SeccompRule => ({ names, action: 'SCMP_ACT_ALLOW', ...more });

export const DEFAULT_SECCOMP_PROFILE: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: EPERM,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    allow([...FILES, ...MEMORY, ...PROCESSES, ...SIGNALS, ...TIME, ...WAITING, ...NETWORK, ...IPC]),
    allow(['socket'], { args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }], comment: 'every address family but vsock, a channel to the host' }),
    // One rule per value: a rule's argument conditions must all hold, rules for one call are alternatives.
    ...SAFE_PERSONALITIES.map((value) => allow(['personality'], { args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] })),
    // Arch-specific calls; `arches` names the host's architecture (Go's names, as in Docker's profiles).
    allow(['arch_prctl', 'modify_ldt'], { includes: { arches: ['amd64', '386'] } }),
    allow(['breakpoint', 'cacheflush', 'set_tls'], { includes: { arches: ['arm64', 'arm'] } }),
    // ptrace lets a process get around seccomp before 4.8; from 4.8 on, the filter is re-checked after a tracer's changes.
    allow(['ptrace', 'process_vm_readv', 'process_vm_writev'], { includes: { minKernel: '4.8' } }),
    allow(['clone'], {
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'] },
      comment: 'fork and threads, without new namespaces',
    }),
    // clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to clone.
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    ...Object.entries(BY_CAPABILITY).map(([cap, names]) => allow(names, { includes: { caps: [cap] } })),
  ],
};
