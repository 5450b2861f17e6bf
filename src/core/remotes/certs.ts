import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgument } from '../../errdefs/index.js';

/** What a registry's certs.d directory adds to a TLS connection. */
export interface HostTls {
  /** PEM CA certificates trusted for this host, beside the system's. */
  ca: Buffer[];
  cert?: Buffer;
  key?: Buffer;
  /** Hash of the files' contents: a connection pool is reused only while they are unchanged. */
  fingerprint: string;
}

/** berth's own directory first, then Docker's, so `docker`-style setups work unchanged. */
export const DEFAULT_CERTS_DIRS = ['/etc/berth/certs.d', '/etc/docker/certs.d'];

/**
 * Reads `<dir>/<host:port>/` in each of `dirs`, as dockerd reads /etc/docker/certs.d: every `*.crt` is
 * a CA, `NAME.cert` with `NAME.key` a client certificate (a key without its certificate, or the
 * reverse, is an error). Undefined when no directory has anything for the host.
 */
export function readHostTls(dirs: readonly string[], host: string): HostTls | undefined {
  const ca: Buffer[] = [];
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  const seen: string[] = [];
  for (const base of dirs) {
    const dir = join(base, host);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const path = join(dir, n);
      if (n.endsWith('.crt')) {
        ca.push(readFileSync(path));
        seen.push(path);
      } else if (n.endsWith('.cert')) {
        const keyName = `${n.slice(0, -'.cert'.length)}.key`;
        if (!names.includes(keyName)) throw new InvalidArgument(`missing key ${keyName} for client certificate ${path}`);
        if (!cert) {
          cert = readFileSync(path);
          key = readFileSync(join(dir, keyName));
          seen.push(path);
        }
      } else if (n.endsWith('.key')) {
        const certName = `${n.slice(0, -'.key'.length)}.cert`;
        if (!names.includes(certName)) throw new InvalidArgument(`missing client certificate ${certName} for key ${path}`);
      }
    }
  }
  if (seen.length === 0) return undefined;
  const h = createHash('sha256');
  for (const b of [...ca, cert, key]) h.update(b ?? '-').update('\0');
  return { ca, ...(cert ? { cert } : {}), ...(key ? { key } : {}), fingerprint: h.digest('hex') };
}
