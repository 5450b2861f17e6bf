import { readFileSync } from 'node:fs';
import { InvalidArgument } from '../errdefs/index.js';

/**
 * `--config FILE`: JSON with the flags' settings, turned into flags that come before the command
 * line's own (so the command line wins):
 * { "addr": "127.0.0.1:5000", "root": "/srv/registry", "readOnly": false,
 *   "auth": { "mode": "token", "htpasswd": "/etc/berth/htpasswd", "tokenKey": "…", "anonymousPull": true },
 *   "tls": { "cert": "…", "key": "…" }, "proxy": ["hub=https://registry-1.docker.io"],
 *   "gc": { "grace": "1h", "uploadMaxAge": "7d", "deleteUntagged": false }, "accessLog": true }
 */
export function configFlags(path: string, command: 'serve' | 'gc'): string[] {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InvalidArgument(`cannot read config file ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new InvalidArgument(`config file ${path}: not a JSON object`);
  const out: string[] = [];
  const str = (v: unknown, key: string): string => {
    if (typeof v !== 'string') throw new InvalidArgument(`config file ${path}: ${key} must be a string`);
    return v;
  };
  const obj = (v: unknown, key: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgument(`config file ${path}: ${key} must be an object`);
    return v as Record<string, unknown>;
  };
  if (c['root'] !== undefined) out.push('--root', str(c['root'], 'root'));
  if (command === 'gc') {
    const gc = c['gc'] === undefined ? {} : obj(c['gc'], 'gc');
    if (gc['grace'] !== undefined) out.push('--grace', str(gc['grace'], 'gc.grace'));
    if (gc['uploadMaxAge'] !== undefined) out.push('--upload-max-age', str(gc['uploadMaxAge'], 'gc.uploadMaxAge'));
    if (gc['deleteUntagged'] === true) out.push('--delete-untagged');
    return out;
  }
  if (c['addr'] !== undefined) out.push('--addr', str(c['addr'], 'addr'));
  if (c['readOnly'] === true) out.push('--read-only');
  if (c['accessLog'] === false) out.push('--no-access-log');
  if (c['auth'] !== undefined) {
    const a = obj(c['auth'], 'auth');
    if (a['htpasswd'] !== undefined) out.push('--htpasswd', str(a['htpasswd'], 'auth.htpasswd'));
    if (a['mode'] !== undefined) out.push('--auth', str(a['mode'], 'auth.mode'));
    if (a['tokenKey'] !== undefined) out.push('--token-key', str(a['tokenKey'], 'auth.tokenKey'));
    if (a['anonymousPull'] === true) out.push('--anonymous-pull');
  }
  if (c['tls'] !== undefined) {
    const t = obj(c['tls'], 'tls');
    out.push('--tls-cert', str(t['cert'], 'tls.cert'), '--tls-key', str(t['key'], 'tls.key'));
  }
  if (c['proxy'] !== undefined) {
    if (!Array.isArray(c['proxy'])) throw new InvalidArgument(`config file ${path}: proxy must be an array of "[PREFIX=]URL"`);
    for (const p of c['proxy']) out.push('--proxy-remote', str(p, 'proxy[]'));
  }
  return out;
}
