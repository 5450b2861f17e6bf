import { InvalidArgument } from '../../errdefs/index.js';

/** RUN --mount=type=…: the kinds the Dockerfile reference (docker/dockerfile:1.4–1.7) documents. */
export type RunMountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';

/** cache sharing: several builds use one directory at once, one waits for the other, or a busy one gets a fresh directory. */
export type CacheSharing = 'shared' | 'locked' | 'private';

/** A --mount as the step uses it, its values expanded and checked; paths inside the container are absolute. */
export type RunMount =
  /** from: a stage, an image or (absent) the build context; source inside it; rw: changes are discarded. */
  | { type: 'bind'; target: string; source: string; from?: string; readonly: boolean }
  | { type: 'cache'; target: string; id: string; sharing: CacheSharing; from?: string; source?: string; mode: number; uid: number; gid: number; readonly: boolean }
  | { type: 'tmpfs'; target: string; size?: number }
  | { type: 'secret'; id: string; target: string; required: boolean; mode: number; uid: number; gid: number }
  | { type: 'ssh'; id: string; target?: string; required: boolean; mode: number; uid: number; gid: number };

const KEYS: Record<RunMountType, string[]> = {
  bind: ['from', 'source', 'target', 'readonly', 'readwrite'],
  cache: ['id', 'from', 'source', 'target', 'readonly', 'readwrite', 'sharing', 'mode', 'uid', 'gid'],
  tmpfs: ['target', 'size'],
  secret: ['id', 'target', 'required', 'mode', 'uid', 'gid', 'env'],
  ssh: ['id', 'target', 'required', 'mode', 'uid', 'gid'],
};

/** The other spellings BuildKit takes for a key. */
const ALIASES: Record<string, string> = { src: 'source', dst: 'target', destination: 'target', ro: 'readonly', rw: 'readwrite' };
const BOOLEANS = new Set(['readonly', 'readwrite', 'required']);
const TYPES = Object.keys(KEYS) as RunMountType[];

/** The comma-separated fields of a --mount value, as Go's encoding/csv reads one record (quotes group, "" is a quote). */
export function mountFields(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inQuotes) {
      if (c === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') inQuotes = false;
      else cur += c;
      continue;
    }
    if (c === '"' && (cur === '' || quoted)) {
      inQuotes = true;
      quoted = true;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
      quoted = false;
    } else cur += c;
  }
  if (inQuotes) throw new InvalidArgument(`invalid --mount ${JSON.stringify(text)}: a quote is not closed`);
  out.push(cur);
  return out;
}

function octal(key: string, v: string): number {
  if (!/^0?[0-7]{1,4}$/.test(v)) throw new InvalidArgument(`invalid --mount ${key}=${v}: use an octal mode such as 0755`);
  return parseInt(v, 8);
}

function id(key: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw new InvalidArgument(`invalid --mount ${key}=${v}: use a numeric user or group ID`);
  return Number(v);
}

function bool(key: string, v: string | undefined): boolean {
  if (v === undefined) return true;
  if (/^(true|1)$/i.test(v)) return true;
  if (/^(false|0)$/i.test(v)) return false;
  throw new InvalidArgument(`invalid --mount ${key}=${v}: use true or false`);
}

/** A tmpfs size: bytes, or with a unit k, m, g (BuildKit's go-units RAM sizes). */
function size(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(v);
  if (!m) throw new InvalidArgument(`invalid --mount size=${v}: use bytes or a size such as 64m`);
  const mult = { '': 1, k: 1 << 10, m: 1 << 20, g: 1 << 30, t: 2 ** 40 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * mult);
}

/** An absolute, clean container path (a relative target is under the working directory, as BuildKit does). */
function containerPath(v: string, workdir: string): string {
  const joined = v.startsWith('/') ? v : `${workdir.replace(/\/+$/, '')}/${v}`;
  const parts: string[] = [];
  for (const c of joined.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') parts.pop();
    else parts.push(c);
  }
  return `/${parts.join('/')}`;
}

/** The type and the key=value pairs of a --mount, keys checked against the type (values not expanded). */
export function mountKeys(text: string): { type: RunMountType; pairs: [string, string | undefined][] } {
  const pairs: [string, string | undefined][] = [];
  let type: string = 'bind';
  for (const item of mountFields(text)) {
    const field = item.trim();
    if (field === '') continue;
    const eq = field.indexOf('=');
    const given = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const key = ALIASES[given] ?? given;
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    if (key === 'type') {
      if (value === undefined || !(TYPES as string[]).includes(value.toLowerCase())) {
        throw new InvalidArgument(`unsupported mount type ${JSON.stringify(value ?? '')}: RUN --mount takes type=bind, cache, tmpfs, secret or ssh`);
      }
      type = value.toLowerCase();
      continue;
    }
    if (value === undefined && !BOOLEANS.has(key)) throw new InvalidArgument(`invalid --mount field ${JSON.stringify(field)}: ${given} needs a value (${given}=…)`);
    pairs.push([key, value]);
  }
  const t = type as RunMountType;
  for (const [k] of pairs) {
    if (!KEYS[t].includes(k)) {
      const known = TYPES.includes(k as RunMountType) || Object.values(KEYS).some((ks) => ks.includes(k)) || k in ALIASES;
      throw new InvalidArgument(known ? `the mount option ${JSON.stringify(k)} does not apply to type=${t} (it takes ${KEYS[t].join(', ')})` : `unknown mount option ${JSON.stringify(k)} in --mount=${text}`);
    }
  }
  return { type: t, pairs };
}

/**
 * A --mount value as the step uses it: fields read, each value expanded with the build's variables,
 * checked, and the defaults of the Dockerfile reference filled in. `index` counts the step's ssh
 * mounts (their default socket path is /run/buildkit/ssh_agent.N).
 */
export function parseRunMount(text: string, expand: (v: string) => string = (v) => v, workdir = '/', index = 0): RunMount {
  const { type, pairs } = mountKeys(text);
  const f = new Map<string, string | undefined>();
  for (const [k, v] of pairs) f.set(k, v === undefined ? undefined : expand(v));
  const has = (k: string): boolean => f.has(k);
  const str = (k: string): string | undefined => f.get(k);
  const num = (k: string, dflt: number, parse: (k: string, v: string) => number): number => (str(k) !== undefined ? parse(k, str(k) as string) : dflt);
  const target = str('target');
  const needTarget = (): string => {
    if (target === undefined || target === '') throw new InvalidArgument(`the --mount of type=${type} needs a target (target=/path)`);
    return containerPath(target, workdir);
  };
  const readonly = (dflt: boolean): boolean => (has('readwrite') ? !bool('rw', str('readwrite')) : has('readonly') ? bool('readonly', str('readonly')) : dflt);
  const from = str('from');
  switch (type) {
    case 'bind':
      return { type, target: needTarget(), source: str('source') ?? '/', ...(from ? { from } : {}), readonly: readonly(true) };
    case 'cache': {
      const t = needTarget();
      const sharing = (str('sharing') ?? 'shared').toLowerCase();
      if (sharing !== 'shared' && sharing !== 'locked' && sharing !== 'private') throw new InvalidArgument(`unsupported sharing value ${JSON.stringify(sharing)}: use shared, private or locked`);
      const source = str('source');
      // BuildKit reads source= inside from= only; alone it would name nothing.
      if (source !== undefined && !from) throw new InvalidArgument('the cache mount option source= needs from= (the stage or image the cache directory starts from)');
      return {
        type,
        target: t,
        id: str('id') || t,
        sharing,
        ...(from ? { from } : {}),
        ...(source !== undefined ? { source } : {}),
        mode: num('mode', 0o755, octal),
        uid: num('uid', 0, id),
        gid: num('gid', 0, id),
        readonly: readonly(false),
      };
    }
    case 'tmpfs': {
      const s = str('size');
      return { type, target: needTarget(), ...(s !== undefined ? { size: size(s) } : {}) };
    }
    case 'secret': {
      if (has('env')) throw new InvalidArgument('RUN --mount=type=secret,env= (docker/dockerfile:1.10) is not supported by berth: mount the secret as a file (target=…) and read it from there');
      const given = str('id') || (target ? (target.split('/').filter(Boolean).at(-1) ?? '') : '');
      if (given === '') throw new InvalidArgument('the --mount of type=secret needs an id (id=NAME) or a target');
      if (given.includes('/') || given === '.' || given === '..') throw new InvalidArgument(`invalid secret id ${JSON.stringify(given)}`);
      return { type, id: given, target: target ? containerPath(target, workdir) : `/run/secrets/${given}`, required: has('required') ? bool('required', str('required')) : false, mode: num('mode', 0o400, octal), uid: num('uid', 0, id), gid: num('gid', 0, id) };
    }
    case 'ssh':
      return {
        type,
        id: str('id') || 'default',
        target: target ? containerPath(target, workdir) : `/run/buildkit/ssh_agent.${index}`,
        required: has('required') ? bool('required', str('required')) : false,
        mode: num('mode', 0o600, octal),
        uid: num('uid', 0, id),
        gid: num('gid', 0, id),
      };
  }
}

/**
 * The mount as the step's cache key records it: its type and options in a fixed order, never a
 * secret's value (berth never has it here), so that a change of options makes a new step.
 */
export function mountKey(m: RunMount): string {
  const parts: string[] = [`type=${m.type}`];
  for (const [k, v] of Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (k === 'type' || v === undefined) continue;
    parts.push(`${k}=${typeof v === 'number' && (k === 'mode') ? `0${v.toString(8)}` : String(v)}`);
  }
  return `--mount=${parts.join(',')}`;
}
