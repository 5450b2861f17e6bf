import { InvalidArgument } from '../../errdefs/index.js';
import type { OciSeccomp, OciSeccompArg, OciSeccompSyscall } from './spec-types.js';

/*
 * Seccomp profiles in Docker's file format (what `docker run --security-opt seccomp=FILE` sends and
 * `dockerd --seccomp-profile` reads), and their translation into the runtime spec's linux.seccomp.
 * Docker's format is the runtime spec's plus rules that apply only for some capabilities,
 * architectures or kernels (includes/excludes) and an archMap that picks the native architecture's
 * companions; the translation resolves those for one container on this host.
 */

const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

const SECCOMP_OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'] as const;
export type SeccompOperator = (typeof SECCOMP_OPERATORS)[number];

/** The architectures libseccomp 2.5 (runc 1.1) knows. */
const SECCOMP_ARCHES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
];

export interface SeccompArgRule {
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOperator;
}

/** When a rule applies: every listed cap held, the host's arch listed, the kernel at least minKernel ("4.8"). */
export interface SeccompCondition {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface SeccompRule {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArgRule[];
  /** The rule applies only when all of these hold. */
  includes?: SeccompCondition;
  /** The rule is dropped when any of these holds. */
  excludes?: SeccompCondition;
  comment?: string;
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  /** Either a flat list of architectures, or archMap: the native one with its sub-architectures. */
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures: string[] }[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: SeccompRule[];
}

/** What the translation needs to know about the container and the host. */
export interface SeccompTarget {
  /** The container's bounding capabilities (CAP_…). */
  capabilities: readonly string[];
  /** Node's process.arch of the host ('x64', 'arm64' …). */
  arch: string;
  kernel: { major: number; minor: number };
}

/** Node's arch → the native libseccomp architecture, and the names Docker profiles use for it in includes/excludes.arches. */
const NATIVE: Record<string, { scmp: string; names: string[] }> = {
  x64: { scmp: 'SCMP_ARCH_X86_64', names: ['amd64', 'x86_64'] },
  arm64: { scmp: 'SCMP_ARCH_AARCH64', names: ['arm64', 'aarch64'] },
  ia32: { scmp: 'SCMP_ARCH_X86', names: ['386', 'x86'] },
  arm: { scmp: 'SCMP_ARCH_ARM', names: ['arm'] },
  ppc64: { scmp: 'SCMP_ARCH_PPC64LE', names: ['ppc64le'] },
  s390x: { scmp: 'SCMP_ARCH_S390X', names: ['s390x'] },
  riscv64: { scmp: 'SCMP_ARCH_RISCV64', names: ['riscv64'] },
};

export function parseKernelVersion(release: string): { major: number; minor: number } {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : { major: 0, minor: 0 };
}

function bad(msg: string): never {
  throw new InvalidArgument(`invalid seccomp profile: ${msg}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown, where: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) bad(`${where} must be a list of strings`);
  return v;
}

/** libseccomp compares 64-bit values; JSON numbers beyond 2^53 have already lost digits in JSON.parse. */
function uint(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`${where} must be a non-negative integer below 2^53, got ${JSON.stringify(v)}`);
  return v;
}

function action(v: unknown, where: string): SeccompAction {
  if (typeof v !== 'string' || !(SECCOMP_ACTIONS as readonly string[]).includes(v)) {
    bad(`unknown action ${JSON.stringify(v)} in ${where} (one of ${SECCOMP_ACTIONS.join(', ')})`);
  }
  return v as SeccompAction;
}

function condition(v: unknown, where: string): SeccompCondition | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) bad(`${where} must be an object`);
  const out: SeccompCondition = {};
  const caps = strings(v['caps'], `${where}.caps`);
  const arches = strings(v['arches'], `${where}.arches`);
  if (caps?.length) out.caps = caps;
  if (arches?.length) out.arches = arches;
  const mk = v['minKernel'];
  if (mk !== undefined && mk !== null && mk !== '') {
    if (typeof mk !== 'string' || !/^\d+\.\d+$/.test(mk)) bad(`${where}.minKernel must look like "4.8", got ${JSON.stringify(mk)}`);
    out.minKernel = mk;
  }
  return out;
}

function argRule(v: unknown, where: string): SeccompArgRule {
  if (!isObject(v)) bad(`${where} must be an object`);
  const index = uint(v['index'], `${where}.index`);
  if (index > 5) bad(`${where}.index must be 0 to 5 (a syscall has at most six arguments)`);
  const op = v['op'];
  if (typeof op !== 'string' || !(SECCOMP_OPERATORS as readonly string[]).includes(op)) {
    bad(`unknown operator ${JSON.stringify(op)} in ${where} (one of ${SECCOMP_OPERATORS.join(', ')})`);
  }
  const rule: SeccompArgRule = { index, value: uint(v['value'] ?? 0, `${where}.value`), op: op as SeccompOperator };
  if (v['valueTwo'] !== undefined) rule.valueTwo = uint(v['valueTwo'], `${where}.valueTwo`);
  return rule;
}

function syscallRule(v: unknown, where: string): SeccompRule {
  if (!isObject(v)) bad(`${where} must be an object`);
  const names = strings(v['names'], `${where}.names`) ?? [];
  const name = v['name'];
  if (name !== undefined && name !== '') {
    if (typeof name !== 'string') bad(`${where}.name must be a string`);
    if (names.length > 0) bad(`${where}: use either 'name' or 'names', not both`);
    names.push(name);
  }
  if (names.length === 0) bad(`${where} names no syscall`);
  const rule: SeccompRule = { names, action: action(v['action'], `${where}.action`) };
  if (v['errnoRet'] !== undefined && v['errnoRet'] !== null) rule.errnoRet = uint(v['errnoRet'], `${where}.errnoRet`);
  if (v['args'] !== undefined && v['args'] !== null) {
    if (!Array.isArray(v['args'])) bad(`${where}.args must be a list`);
    rule.args = v['args'].map((a, i) => argRule(a, `${where}.args[${i}]`));
  }
  const includes = condition(v['includes'], `${where}.includes`);
  const excludes = condition(v['excludes'], `${where}.excludes`);
  if (includes) rule.includes = includes;
  if (excludes) rule.excludes = excludes;
  return rule;
}

function arch(v: unknown, where: string): string {
  if (typeof v !== 'string' || !SECCOMP_ARCHES.includes(v)) bad(`unknown architecture ${JSON.stringify(v)} in ${where}`);
  return v;
}

/** Reads a Docker-format profile (the JSON text of a file); any mistake is an InvalidArgument naming it. */
export function parseSeccompProfile(text: string): SeccompProfile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgument(`decoding seccomp profile failed: ${(e as Error).message}`, { cause: e });
  }
  if (!isObject(v)) bad('expected a JSON object');
  const profile: SeccompProfile = { defaultAction: action(v['defaultAction'], 'defaultAction'), syscalls: [] };
  if (v['defaultErrnoRet'] !== undefined && v['defaultErrnoRet'] !== null) profile.defaultErrnoRet = uint(v['defaultErrnoRet'], 'defaultErrnoRet');
  const architectures = strings(v['architectures'], 'architectures');
  const archMap = v['archMap'];
  if (architectures?.length && Array.isArray(archMap) && archMap.length > 0) {
    bad("both 'architectures' and 'archMap' are given; use one of them");
  }
  if (architectures?.length) profile.architectures = architectures.map((a, i) => arch(a, `architectures[${i}]`));
  if (archMap !== undefined && archMap !== null) {
    if (!Array.isArray(archMap)) bad('archMap must be a list');
    profile.archMap = archMap.map((m, i) => {
      if (!isObject(m)) bad(`archMap[${i}] must be an object`);
      const subs = strings(m['subArchitectures'], `archMap[${i}].subArchitectures`) ?? [];
      return { architecture: arch(m['architecture'], `archMap[${i}].architecture`), subArchitectures: subs.map((s, j) => arch(s, `archMap[${i}].subArchitectures[${j}]`)) };
    });
  }
  // runc 1.1 refuses every filter flag at create ("seccomp flags are not yet supported"): say so now.
  const flags = strings(v['flags'], 'flags');
  if (flags?.length) bad(`flags (${flags.join(', ')}) are not supported by the runtime (runc 1.1)`);
  for (const key of ['listenerPath', 'listenerMetadata'] as const) {
    const s = v[key];
    if (s === undefined || s === null || s === '') continue;
    if (typeof s !== 'string') bad(`${key} must be a string`);
    profile[key] = s;
  }
  const syscalls = v['syscalls'];
  if (syscalls !== undefined && syscalls !== null) {
    if (!Array.isArray(syscalls)) bad('syscalls must be a list');
    profile.syscalls = syscalls.map((s, i) => syscallRule(s, `syscalls[${i}]`));
  }
  if (profile.defaultAction === 'SCMP_ACT_NOTIFY' || profile.syscalls.some((s) => s.action === 'SCMP_ACT_NOTIFY')) {
    if (!profile.listenerPath) bad('SCMP_ACT_NOTIFY needs a listenerPath');
  }
  return profile;
}

function kernelAtLeast(k: SeccompTarget['kernel'], min: string): boolean {
  const want = parseKernelVersion(min);
  return k.major > want.major || (k.major === want.major && k.minor >= want.minor);
}

function applies(rule: SeccompRule, target: SeccompTarget, archNames: readonly string[]): boolean {
  const inc = rule.includes;
  if (inc) {
    if (inc.arches?.length && !inc.arches.some((a) => archNames.includes(a))) return false;
    if (inc.caps?.length && !inc.caps.every((c) => target.capabilities.includes(c))) return false;
    if (inc.minKernel && !kernelAtLeast(target.kernel, inc.minKernel)) return false;
  }
  const exc = rule.excludes;
  if (exc) {
    if (exc.arches?.some((a) => archNames.includes(a))) return false;
    if (exc.caps?.some((c) => target.capabilities.includes(c))) return false;
    if (exc.minKernel && kernelAtLeast(target.kernel, exc.minKernel)) return false;
  }
  return true;
}

/** The runtime spec's linux.seccomp for one container: conditions resolved, the native architectures chosen. */
export function compileSeccomp(profile: SeccompProfile, target: SeccompTarget): OciSeccomp {
  const native = NATIVE[target.arch];
  const archNames = native?.names ?? [target.arch];
  const out: OciSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.architectures?.length) out.architectures = [...profile.architectures];
  else if (profile.archMap?.length && native) {
    const entry = profile.archMap.find((m) => m.architecture === native.scmp);
    if (entry) out.architectures = [entry.architecture, ...entry.subArchitectures];
  }
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;
  const syscalls: OciSeccompSyscall[] = [];
  for (const rule of profile.syscalls) {
    if (!applies(rule, target, archNames)) continue;
    const s: OciSeccompSyscall = { names: [...rule.names], action: rule.action };
    if (rule.errnoRet !== undefined) s.errnoRet = rule.errnoRet;
    if (rule.args?.length) s.args = rule.args.map((a): OciSeccompArg => ({ ...a }));
    syscalls.push(s);
  }
  out.syscalls = syscalls;
  return out;
}
