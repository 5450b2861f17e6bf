import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgument } from '../errdefs/index.js';
import type { AccessRule, Action } from '../server/registry/index.js';
import { configFlags } from './config-file.js';

export interface ServeOptions {
  command: 'serve';
  host: string;
  port: number;
  root: string;
  readOnly: boolean;
  accessLog: boolean;
  /** none, or htpasswd users by Basic auth, or bearer tokens issued at /token to htpasswd users. */
  auth: 'none' | 'basic' | 'token';
  htpasswd?: string;
  /** ES256 key for tokens; default <root>/token-key.pem. */
  tokenKey?: string;
  anonymousPull: boolean;
  /** Per-user rights of htpasswd users (empty: every user may do everything). */
  access: AccessRule[];
  /** Realm of the Basic challenge. */
  realm?: string;
  /** Pull-through cache upstreams. */
  proxies: UpstreamOption[];
  tlsCert?: string;
  tlsKey?: string;
  /** Online GC every so often while serving (0: never); uses the gc grace settings. */
  gcIntervalMs: number;
  graceMs: number;
  uploadMaxAgeMs: number;
}

export interface UpstreamOption {
  url: string;
  prefix: string | null;
  username?: string;
  password?: string;
}

/** `[PREFIX=]URL`, credentials in the URL's user info: `hub=https://user:token@registry-1.docker.io`. */
export function parseUpstream(s: string): UpstreamOption {
  const eq = s.indexOf('=');
  const prefix = eq > 0 && !s.slice(0, eq).includes('/') ? s.slice(0, eq) : null;
  const raw = prefix === null ? s : s.slice(eq + 1);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InvalidArgument(`invalid --proxy-remote ${JSON.stringify(s)}: expected [PREFIX=]http(s)://HOST[:PORT]`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgument(`invalid --proxy-remote ${JSON.stringify(s)}: only http and https`);
  const out: UpstreamOption = { url: `${u.protocol}//${u.host}`, prefix };
  if (u.username) {
    out.username = decodeURIComponent(u.username);
    out.password = decodeURIComponent(u.password);
  }
  return out;
}

const ACTIONS = new Set(['pull', 'push', 'delete', '*']);

/** `USER:REPOS:ACTIONS`, e.g. `alice:team/*:pull,push` or `*:*:pull` (htpasswd names hold no colon). */
export function parseAccessRule(s: string): AccessRule {
  const parts = s.split(':');
  const [user, repos, actions] = parts;
  const bad = (why: string): InvalidArgument => new InvalidArgument(`invalid --access ${JSON.stringify(s)}: ${why}; expected USER:REPOS:ACTIONS like alice:team/*:pull,push`);
  if (parts.length !== 3 || user === undefined || repos === undefined || actions === undefined) throw bad('three colon-separated parts needed');
  if (user === '') throw bad('empty user');
  if (!/^[a-z0-9*][a-z0-9._/*-]*$/.test(repos)) throw bad(`repository pattern ${JSON.stringify(repos)} has characters no repository name holds`);
  const list = actions.split(',');
  for (const a of list) if (!ACTIONS.has(a)) throw bad(`unknown action ${JSON.stringify(a)} (pull, push, delete or *)`);
  return { user, repos, actions: list as Action[] };
}

export interface GcCommandOptions {
  command: 'gc';
  root: string;
  dryRun: boolean;
  graceMs: number;
  uploadMaxAgeMs: number;
  deleteUntagged: boolean;
}

export type RegistryOptions = ServeOptions | GcCommandOptions | 'help';

export function defaultRoot(env: NodeJS.ProcessEnv): string {
  const base = env['XDG_DATA_HOME'] || join(env['HOME'] || homedir(), '.local', 'share');
  return join(base, 'berth', 'registry');
}

/** `30s`, `15m`, `2h`, `7d`, or plain milliseconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s);
  if (!m) throw new InvalidArgument(`invalid duration ${JSON.stringify(s)}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms'] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

export function parseAddr(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
  if (!m) throw new InvalidArgument(`invalid address ${JSON.stringify(s)}: expected HOST:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidArgument(`invalid port in ${JSON.stringify(s)}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function usage(): string {
  return `Usage:  berth registry serve [OPTIONS]
        berth registry gc [OPTIONS]

An OCI distribution registry over its own storage root.

serve options:
      --config FILE        JSON or YAML settings (see src/registryd/README.md); flags override
      --addr HOST:PORT     Listen address (default 127.0.0.1:5000; port 0 picks a free one)
      --root DIR           Storage root (default $XDG_DATA_HOME/berth/registry)
      --read-only          Refuse pushes and deletes
      --no-access-log      Do not log one JSON line per request on stderr
      --htpasswd FILE      Users (bcrypt htpasswd); turns on Basic auth
      --auth MODE          none, basic or token (bearer tokens issued at /token; needs --htpasswd)
      --token-key FILE     Token signing key (default ROOT/token-key.pem, created when missing)
      --anonymous-pull     With --auth token: pulls need no credentials
      --access USER:REPOS:ACTIONS
                           Grant USER (* = any user) ACTIONS (pull,push,delete,*) on the
                           repositories the glob REPOS matches (repeatable; rules add up;
                           none: every user may do everything)
      --auth-realm REALM   Realm of the Basic challenge (default berth-registry)
      --gc-interval D      Collect garbage while serving, every D (e.g. 6h; default never)
      --grace D            GC grace period for blobs and links (default 1h)
      --tls-cert FILE      Serve HTTPS with this PEM certificate (chain)
      --tls-key FILE       The certificate's PEM private key
      --proxy-remote [PREFIX=]URL
                           Pull-through cache of URL (repeatable; PREFIX/x maps to x upstream)

gc options:
      --config FILE        JSON or YAML settings (root, gc.grace, gc.uploadMaxAge, gc.deleteUntagged)
      --root DIR           Storage root
      --dry-run            Only print what would be removed
      --grace DURATION     Keep blobs and links younger than this (default 1h)
      --upload-max-age D   Remove upload sessions older than this (default 7d)
      --delete-untagged    Also remove manifests no tag reaches
`;
}

function value(argv: string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined) throw new InvalidArgument(`flag needs an argument: ${flag}`);
  return v;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): RegistryOptions {
  const [command, ...given] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return 'help';
  if (command !== 'serve' && command !== 'gc') throw new InvalidArgument(`unknown command "${command}" for "berth registry"`);
  // The config file's settings come first, so flags on the command line override them.
  const ci = given.findIndex((a) => a === '--config' || a.startsWith('--config='));
  let rest = given;
  if (ci >= 0) {
    const a = given[ci] as string;
    const file = a.includes('=') ? a.slice(a.indexOf('=') + 1) : given[ci + 1];
    if (file === undefined) throw new InvalidArgument('flag needs an argument: --config');
    rest = [...configFlags(file, command), ...given.slice(0, ci), ...given.slice(ci + (a.includes('=') ? 1 : 2))];
  }
  let root = env['BERTH_REGISTRY_ROOT'] || defaultRoot(env);
  let addr = { host: '127.0.0.1', port: 5000 };
  let readOnly = false;
  let accessLog = true;
  let dryRun = false;
  let graceMs = 3_600_000;
  let uploadMaxAgeMs = 7 * 86_400_000;
  let deleteUntagged = false;
  let auth: ServeOptions['auth'] | undefined;
  let htpasswd: string | undefined;
  let tokenKey: string | undefined;
  let anonymousPull = false;
  const access: AccessRule[] = [];
  let realm: string | undefined;
  const proxies: UpstreamOption[] = [];
  let tlsCert: string | undefined;
  let tlsKey: string | undefined;
  let gcIntervalMs = 0;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const arg = (): string => {
      if (inline !== undefined) return inline;
      const v = value(rest, i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--root':
        root = arg();
        break;
      case '--addr':
        if (command !== 'serve') throw new InvalidArgument(`unknown flag: ${flag}`);
        addr = parseAddr(arg());
        break;
      case '--read-only':
        readOnly = true;
        break;
      case '--no-access-log':
        accessLog = false;
        break;
      case '--dry-run':
        dryRun = true;
        break;
      case '--grace':
        graceMs = parseDuration(arg());
        break;
      case '--upload-max-age':
        uploadMaxAgeMs = parseDuration(arg());
        break;
      case '--htpasswd':
        htpasswd = arg();
        break;
      case '--auth': {
        const v = arg();
        if (v !== 'none' && v !== 'basic' && v !== 'token') throw new InvalidArgument(`invalid --auth ${JSON.stringify(v)}: expected none, basic or token`);
        auth = v;
        break;
      }
      case '--token-key':
        tokenKey = arg();
        break;
      case '--gc-interval':
        gcIntervalMs = parseDuration(arg());
        break;
      case '--tls-cert':
        tlsCert = arg();
        break;
      case '--tls-key':
        tlsKey = arg();
        break;
      case '--proxy-remote':
        proxies.push(parseUpstream(arg()));
        break;
      case '--access':
        if (command !== 'serve') throw new InvalidArgument(`unknown flag: ${flag}`);
        access.push(parseAccessRule(arg()));
        break;
      case '--auth-realm':
        if (command !== 'serve') throw new InvalidArgument(`unknown flag: ${flag}`);
        realm = arg();
        break;
      case '--anonymous-pull':
        anonymousPull = true;
        break;
      case '--delete-untagged':
        deleteUntagged = true;
        break;
      default:
        throw new InvalidArgument(`unknown flag: ${flag}`);
    }
  }
  if (command === 'serve') {
    const mode = auth ?? (htpasswd !== undefined ? 'basic' : 'none');
    if (mode !== 'none' && htpasswd === undefined) throw new InvalidArgument(`--auth ${mode} needs --htpasswd FILE`);
    if (access.length > 0 && mode === 'none') throw new InvalidArgument('--access rules need users: add --htpasswd FILE');
    if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new InvalidArgument('--tls-cert and --tls-key go together');
    return {
      command,
      host: addr.host,
      port: addr.port,
      root,
      readOnly,
      accessLog,
      auth: mode,
      anonymousPull,
      access,
      proxies,
      gcIntervalMs,
      graceMs,
      uploadMaxAgeMs,
      ...(tlsCert !== undefined && tlsKey !== undefined ? { tlsCert, tlsKey } : {}),
      ...(htpasswd !== undefined ? { htpasswd } : {}),
      ...(tokenKey !== undefined ? { tokenKey } : {}),
      ...(realm !== undefined ? { realm } : {}),
    };
  }
  return { command, root, dryRun, graceMs, uploadMaxAgeMs, deleteUntagged };
}
