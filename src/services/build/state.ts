import { posix } from 'node:path';
import { expandWord, expandWords, type CommandForm, type HealthcheckSpec, type Instruction } from '../../core/dockerfile/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { ImageConfigJson, StoredImage } from '../images/index.js';

/** Build arguments Docker allows without an ARG line; they stay out of history unless declared. */
export const PROXY_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

export type RuntimeConfig = Record<string, unknown>;

/** Where a stage stands: its current image (null until the first step FROM scratch) and config. */
export class StageState {
  image: StoredImage | null;
  config: ImageConfigJson;
  /** The runtime config (OCI `config`) as the next step sees it. */
  rc: RuntimeConfig;
  /** ARGs declared in this stage, with their values (undefined: declared without one). */
  readonly args = new Map<string, string | undefined>();
  /** CMD was set in this stage (a later ENTRYPOINT keeps it). */
  cmdSet = false;
  author: string | undefined;

  constructor(
    image: StoredImage | null,
    config: ImageConfigJson,
    readonly escape: string,
  ) {
    this.image = image;
    this.config = config;
    this.rc = structuredClone(config.config ?? {});
    this.author = config.author;
  }

  env(): string[] {
    return (this.rc['Env'] as string[] | undefined) ?? [];
  }

  shell(): string[] {
    return (this.rc['Shell'] as string[] | undefined) ?? DEFAULT_SHELL;
  }

  envValue(name: string): string | undefined {
    for (const e of this.env()) {
      const eq = e.indexOf('=');
      if ((eq < 0 ? e : e.slice(0, eq)) === name) return eq < 0 ? '' : e.slice(eq + 1);
    }
    return undefined;
  }

  /** Variables for expansion: ENV wins over ARG, as in Docker. */
  lookup = (name: string): string | undefined => this.envValue(name) ?? this.args.get(name);

  expand(word: string): string {
    return expandWord(word, this.lookup, this.escape);
  }

  expandAll(text: string): string[] {
    return expandWords(text, this.lookup, this.escape);
  }

  /** The argv of a RUN/CMD/ENTRYPOINT: exec form as written, shell form through SHELL. */
  argv(cmd: CommandForm): string[] {
    return cmd.json ? cmd.args : [...this.shell(), cmd.text];
  }

  /** Declared build args with a value that ENV does not override, sorted: what RUN sees and history records. */
  buildArgEnv(proxies: Record<string, string>): { all: string[]; recorded: string[] } {
    const recorded: string[] = [];
    for (const [k, v] of this.args) if (v !== undefined && this.envValue(k) === undefined) recorded.push(`${k}=${v}`);
    const all = [...recorded];
    for (const [k, v] of Object.entries(proxies)) if (!this.args.has(k) && this.envValue(k) === undefined) all.push(`${k}=${v}`);
    return { all: all.sort(), recorded: recorded.sort() };
  }

  setEnv(key: string, value: string): void {
    const env = this.env().filter((e) => e.slice(0, e.indexOf('=') >>> 0) !== key && e !== key);
    this.rc['Env'] = [...env, `${key}=${value}`];
  }

  /** WORKDIR's path: relative ones are joined to the current working directory. */
  workdir(path: string): string {
    const cur = (this.rc['WorkingDir'] as string | undefined) || '/';
    return posix.resolve(cur, path);
  }
}

/** Go's %q of a []string, as Docker's history shows CMD and ENTRYPOINT: ["a" "b"]. */
function goQuoted(list: string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration ("1m30s", "500ms") in nanoseconds. */
export function parseDuration(s: string, what: string): number {
  let total = 0;
  let rest = s;
  if (rest === '0') return 0;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) throw new InvalidArgument(`invalid duration for --${what}: ${JSON.stringify(s)}`);
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    rest = rest.slice(m[0].length);
  }
  return Math.round(total);
}

function healthConfig(h: HealthcheckSpec): Record<string, unknown> {
  if (h.cmd === null) return { Test: ['NONE'] };
  const test = h.cmd.json ? ['CMD', ...h.cmd.args] : ['CMD-SHELL', h.cmd.text];
  const out: Record<string, unknown> = { Test: test };
  const dur = (k: string, v: string | undefined, flag: string): void => {
    if (v === undefined) return;
    const ns = parseDuration(v, flag);
    if (ns !== 0 && ns < 1e6) throw new InvalidArgument(`Interval "${flag}" cannot be less than 1ms`);
    if (ns) out[k] = ns;
  };
  dur('Interval', h.interval, 'interval');
  dur('Timeout', h.timeout, 'timeout');
  dur('StartPeriod', h.startPeriod, 'start-period');
  dur('StartInterval', h.startInterval, 'start-interval');
  if (h.retries !== undefined) {
    const n = Number(h.retries);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgument(`--retries cannot be negative (${h.retries})`);
    if (n) out['Retries'] = n;
  }
  return out;
}

function goHealth(hc: Record<string, unknown>): string {
  const d = (k: string): string => JSON.stringify(`${Math.round(((hc[k] as number | undefined) ?? 0) / 1e9)}s`);
  const r = (hc['Retries'] as number | undefined) ?? 0;
  return `&{${goQuoted(hc['Test'] as string[])} ${d('Interval')} ${d('Timeout')} ${d('StartPeriod')} ${d('StartInterval')} '\\x${r.toString(16).padStart(2, '0')}'}`;
}

function exposed(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw new InvalidArgument(`invalid containerPort: ${spec}`);
  const start = Number(m[1]);
  const end = m[2] !== undefined ? Number(m[2]) : start;
  if (end < start || end > 65535) throw new InvalidArgument(`invalid port range: ${spec}`);
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${(m[3] ?? 'tcp').toLowerCase()}`);
  return out;
}

/** Metadata-only instructions: changes the stage's config and returns Docker's history comment. */
export type MetaInstruction = Exclude<Instruction, { kind: 'from' | 'run' | 'copy' | 'add' }>;

export function isMeta(ins: Instruction): boolean {
  return !['from', 'run', 'copy', 'add', 'workdir'].includes(ins.kind);
}

export function applyMeta(ins: MetaInstruction, st: StageState, buildArgs: Record<string, string | null>, metaArgs: Map<string, string | undefined>): string {
  const rc = st.rc;
  switch (ins.kind) {
    case 'env': {
      // Every value sees the variables as they were before this line (`ENV A=1 B=$A` leaves B as A was).
      const pairs = ins.pairs.map(([k, given]) => [st.expand(k), st.expand(given)] as const);
      for (const [k, v] of pairs) st.setEnv(k, v);
      return `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
    }
    case 'label': {
      const labels = { ...((rc['Labels'] as Record<string, string> | null | undefined) ?? {}) };
      const parts: string[] = [];
      for (const [k, given] of ins.pairs) {
        const key = st.expand(k);
        const v = st.expand(given);
        labels[key] = v;
        parts.push(`${key}=${v}`);
      }
      rc['Labels'] = labels;
      return `LABEL ${parts.join(' ')}`;
    }
    case 'arg': {
      const parts: string[] = [];
      for (const a of ins.args) {
        const dflt = a.value === undefined ? undefined : st.expand(a.value);
        const given = buildArgs[a.name];
        const value = given !== undefined && given !== null ? given : dflt ?? metaArgs.get(a.name);
        st.args.set(a.name, value);
        parts.push(a.value === undefined ? a.name : `${a.name}=${dflt}`);
      }
      return `ARG ${parts.join(' ')}`;
    }
    case 'cmd':
      rc['Cmd'] = st.argv(ins.cmd);
      st.cmdSet = true;
      return `CMD ${goQuoted(rc['Cmd'] as string[])}`;
    case 'entrypoint':
      rc['Entrypoint'] = st.argv(ins.cmd);
      if (!st.cmdSet) delete rc['Cmd'];
      return `ENTRYPOINT ${goQuoted(rc['Entrypoint'] as string[])}`;
    case 'user':
      rc['User'] = st.expand(ins.value);
      return `USER ${rc['User'] as string}`;
    case 'expose': {
      const ports = ins.values.map((v) => st.expand(v));
      const map = { ...((rc['ExposedPorts'] as Record<string, object> | null | undefined) ?? {}) };
      for (const p of ports) for (const e of exposed(p)) map[e] = {};
      rc['ExposedPorts'] = map;
      return `EXPOSE ${ports.join(' ')}`;
    }
    case 'volume': {
      const vols = ins.values.map((v) => st.expand(v));
      const map = { ...((rc['Volumes'] as Record<string, object> | null | undefined) ?? {}) };
      for (const v of vols) {
        if (v.trim() === '') throw new InvalidArgument('VOLUME specified can not be an empty string');
        map[v] = {};
      }
      rc['Volumes'] = map;
      return `VOLUME [${vols.join(' ')}]`;
    }
    case 'stopsignal': {
      const sig = st.expand(ins.value);
      if (!/^(SIG)?[A-Z0-9+-]+$/i.test(sig)) throw new InvalidArgument(`Invalid signal: ${sig}`);
      rc['StopSignal'] = sig;
      return `STOPSIGNAL ${sig}`;
    }
    case 'healthcheck': {
      const hc = healthConfig(ins.health);
      rc['Healthcheck'] = hc;
      return `HEALTHCHECK ${goHealth(hc)}`;
    }
    case 'shell':
      rc['Shell'] = ins.shell;
      return `SHELL [${ins.shell.join(' ')}]`;
    case 'onbuild':
      rc['OnBuild'] = [...((rc['OnBuild'] as string[] | null | undefined) ?? []), ins.expression];
      return `ONBUILD ${ins.expression}`;
    case 'maintainer':
      st.author = st.expand(ins.value);
      return `MAINTAINER ${st.author}`;
    case 'workdir':
      throw new InvalidArgument('WORKDIR changes the filesystem: it is not a config-only step');
  }
}

/** Docker's container_config Cmd for a config-only step: the shell, "#(nop) ", the comment. */
export function nopCmd(st: StageState, comment: string, oneString = false): string[] {
  return oneString ? [...st.shell(), `#(nop) ${comment}`] : [...st.shell(), '#(nop) ', comment];
}
