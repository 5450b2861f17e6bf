import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { InvalidArgument } from '../errdefs/index.js';
import { parseYaml } from './yaml.js';

type Obj = Record<string, unknown>;

/** JSON by extension `.json` or a leading `{`; YAML by extension `.yml`/`.yaml` or otherwise. */
function readConfig(path: string): Obj {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InvalidArgument(`cannot read config file ${path}: ${(e as Error).message}`, { cause: e });
  }
  const ext = extname(path).toLowerCase();
  const json = ext === '.json' || (ext !== '.yml' && ext !== '.yaml' && /^\s*\{/.test(text));
  let c: unknown;
  try {
    c = json ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new InvalidArgument(`config file ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new InvalidArgument(`config file ${path}: not a ${json ? 'JSON object' : 'YAML mapping'}`);
  return c as Obj;
}

/**
 * `--config FILE`: JSON or YAML with the flags' settings, turned into flags that come before the
 * command line's own (so the command line wins). berth's own keys:
 * { "addr": "127.0.0.1:5000", "root": "/srv/registry", "readOnly": false,
 *   "auth": { "mode": "token", "htpasswd": "/etc/berth/htpasswd", "tokenKey": "…", "anonymousPull": true,
 *             "realm": "…", "access": [{ "user": "alice", "repos": "team/*", "actions": ["pull", "push"] }] },
 *   "tls": { "cert": "…", "key": "…" }, "proxy": ["hub=https://registry-1.docker.io"],
 *   "gc": { "grace": "1h", "uploadMaxAge": "7d", "deleteUntagged": false }, "accessLog": true }
 * and the common keys of distribution's config.yml: version, log, http.addr, http.tls.certificate/key,
 * storage.filesystem.rootdirectory, storage.delete, storage.maintenance.readonly.enabled,
 * auth.htpasswd.path/realm, proxy.remoteurl/username/password. Any other key is refused by name.
 */
export function configFlags(path: string, command: 'serve' | 'gc'): string[] {
  const c = readConfig(path);
  const out: string[] = [];
  const bad = (msg: string): InvalidArgument => new InvalidArgument(`config file ${path}: ${msg}`);
  const str = (v: unknown, key: string): string => {
    if (typeof v !== 'string' && typeof v !== 'number') throw bad(`${key} must be a string`);
    return String(v);
  };
  const bool = (v: unknown, key: string): boolean => {
    if (typeof v !== 'boolean') throw bad(`${key} must be true or false`);
    return v;
  };
  const obj = (v: unknown, key: string, known: readonly string[]): Obj => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${key} must be an object`);
    for (const k of Object.keys(v)) if (!known.includes(k)) throw bad(`unknown key ${key === '' ? k : `${key}.${k}`} (known: ${known.join(', ')})`);
    return v as Obj;
  };
  obj(c, '', ['version', 'log', 'root', 'addr', 'readOnly', 'accessLog', 'auth', 'tls', 'proxy', 'gc', 'http', 'storage']);
  const storage = c['storage'] === undefined ? {} : obj(c['storage'], 'storage', ['filesystem', 'delete', 'maintenance', 'cache']);
  const filesystem = storage['filesystem'] === undefined ? {} : obj(storage['filesystem'], 'storage.filesystem', ['rootdirectory', 'maxthreads']);
  const root = c['root'] ?? filesystem['rootdirectory'];
  if (root !== undefined) out.push('--root', str(root, 'root'));
  if (command === 'gc') {
    const gc = c['gc'] === undefined ? {} : obj(c['gc'], 'gc', ['grace', 'uploadMaxAge', 'deleteUntagged']);
    if (gc['grace'] !== undefined) out.push('--grace', str(gc['grace'], 'gc.grace'));
    if (gc['uploadMaxAge'] !== undefined) out.push('--upload-max-age', str(gc['uploadMaxAge'], 'gc.uploadMaxAge'));
    if (gc['deleteUntagged'] !== undefined && bool(gc['deleteUntagged'], 'gc.deleteUntagged')) out.push('--delete-untagged');
    return out;
  }
  const http = c['http'] === undefined ? {} : obj(c['http'], 'http', ['addr', 'tls', 'secret', 'headers', 'relativeurls', 'host']);
  const addr = c['addr'] ?? http['addr'];
  if (addr !== undefined) out.push('--addr', str(addr, 'addr'));
  const maintenance = storage['maintenance'] === undefined ? {} : obj(storage['maintenance'], 'storage.maintenance', ['readonly', 'uploadpurging']);
  const readonly = maintenance['readonly'] === undefined ? {} : obj(maintenance['readonly'], 'storage.maintenance.readonly', ['enabled']);
  if ((c['readOnly'] !== undefined && bool(c['readOnly'], 'readOnly')) || (readonly['enabled'] !== undefined && bool(readonly['enabled'], 'storage.maintenance.readonly.enabled'))) {
    out.push('--read-only');
  }
  if (c['accessLog'] !== undefined && !bool(c['accessLog'], 'accessLog')) out.push('--no-access-log');
  if (c['auth'] !== undefined) out.push(...authFlags(obj(c['auth'], 'auth', ['mode', 'htpasswd', 'tokenKey', 'anonymousPull', 'realm', 'access']), str, bool, obj, bad));
  const tls = c['tls'] ?? http['tls'];
  if (tls !== undefined) {
    const t = obj(tls, 'tls', ['cert', 'key', 'certificate']);
    out.push('--tls-cert', str(t['cert'] ?? t['certificate'], 'tls.cert'), '--tls-key', str(t['key'], 'tls.key'));
  }
  const proxy = c['proxy'];
  if (Array.isArray(proxy)) {
    for (const p of proxy) out.push('--proxy-remote', str(p, 'proxy[]'));
  } else if (proxy !== undefined) {
    // distribution: one upstream for every repository, credentials beside the URL.
    const p = obj(proxy, 'proxy', ['remoteurl', 'username', 'password', 'ttl']);
    let u: URL;
    try {
      u = new URL(str(p['remoteurl'], 'proxy.remoteurl'));
    } catch {
      throw bad(`proxy.remoteurl ${JSON.stringify(p['remoteurl'])} is not a URL`);
    }
    if (p['username'] !== undefined) u.username = encodeURIComponent(str(p['username'], 'proxy.username'));
    if (p['password'] !== undefined) u.password = encodeURIComponent(str(p['password'], 'proxy.password'));
    out.push('--proxy-remote', u.href.replace(/\/$/, ''));
  }
  return out;
}

function authFlags(
  a: Obj,
  str: (v: unknown, key: string) => string,
  bool: (v: unknown, key: string) => boolean,
  obj: (v: unknown, key: string, known: readonly string[]) => Obj,
  bad: (msg: string) => InvalidArgument,
): string[] {
  const out: string[] = [];
  const h = a['htpasswd'];
  if (typeof h === 'object' && h !== null) {
    const d = obj(h, 'auth.htpasswd', ['path', 'realm']);
    out.push('--htpasswd', str(d['path'], 'auth.htpasswd.path'));
    if (d['realm'] !== undefined) out.push('--auth-realm', str(d['realm'], 'auth.htpasswd.realm'));
  } else if (h !== undefined) {
    out.push('--htpasswd', str(h, 'auth.htpasswd'));
  }
  if (a['mode'] !== undefined) out.push('--auth', str(a['mode'], 'auth.mode'));
  if (a['realm'] !== undefined) out.push('--auth-realm', str(a['realm'], 'auth.realm'));
  if (a['tokenKey'] !== undefined) out.push('--token-key', str(a['tokenKey'], 'auth.tokenKey'));
  if (a['anonymousPull'] !== undefined && bool(a['anonymousPull'], 'auth.anonymousPull')) out.push('--anonymous-pull');
  if (a['access'] !== undefined) {
    if (!Array.isArray(a['access'])) throw bad('auth.access must be a list of { user, repos, actions }');
    a['access'].forEach((r, i) => {
      const key = `auth.access[${i}]`;
      const rule = obj(r, key, ['user', 'repos', 'actions']);
      const actions = rule['actions'];
      if (!Array.isArray(actions) || actions.length === 0) throw bad(`${key}.actions must be a non-empty list of pull, push, delete or *`);
      out.push('--access', `${str(rule['user'], `${key}.user`)}:${str(rule['repos'], `${key}.repos`)}:${actions.map((x, j) => str(x, `${key}.actions[${j}]`)).join(',')}`);
    });
  }
  return out;
}
