import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { RunResult, TestDaemon } from './daemon.js';
import { leftoverMounts } from './daemon.js';

/*
 * The load suite's measures, shared by test/load.test.ts and bench/reliability: what berthd and the
 * host hold (descriptors, sockets, RSS, mounts, cgroups, netns, veths, IP leases, conmons), counted
 * before and after a burst of concurrent work; and a registry client that uploads blobs and can be
 * cut off mid-upload.
 */

export interface Holdings {
  fds: number;
  sockets: number;
  rssMb: number;
  mounts: number;
  cgroups: number;
  netns: number;
  veths: number;
  ipLeases: number;
  conmons: number;
}

function count(f: () => number): number {
  try {
    return f();
  } catch {
    return 0;
  }
}

export function holdings(d: TestDaemon, mounts: number): Holdings {
  const pid = d.proc?.pid ?? 0;
  const fdDir = `/proc/${pid}/fd`;
  const fds = readdirSync(fdDir);
  const sockets = fds.filter((f) => count(() => (readlinkSync(join(fdDir, f)).startsWith('socket:') ? 1 : 0))).length;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
  const cg = (): number => {
    let n = 0;
    for (const c of readdirSync('/sys/fs/cgroup')) {
      const base = join('/sys/fs/cgroup', c, 'berth');
      if (existsSync(base)) n += readdirSync(base).filter((x) => /^[a-f0-9]{64}$/.test(x) && (d.seenIds.has(x) || ownedBy(d, x))).length;
    }
    return n;
  };
  const ipamRoot = join(d.dataRoot, 'network', 'ipam');
  return {
    fds: fds.length,
    sockets,
    rssMb: Math.round(Number(rss) / 1024),
    mounts,
    cgroups: count(cg),
    netns: count(() => readdirSync(join(d.execRoot, 'netns')).length),
    veths: count(() => execFileSync('ip', ['-o', 'link', 'show', 'master', d.net.bridge]).toString().split('\n').filter(Boolean).length),
    ipLeases: count(() => readdirSync(ipamRoot).reduce((n, net) => n + readdirSync(join(ipamRoot, net)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).length, 0)),
    conmons: count(() => readdirSync('/proc').filter((p) => /^\d+$/.test(p) && count(() => (/conmon/.test(readFileSync(`/proc/${p}/comm`, 'utf8')) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(d.dir) ? 1 : 0))).length),
  };
}

/** A cgroup is this daemon's when a container of its data root has that id. */
function ownedBy(d: TestDaemon, id: string): boolean {
  return existsSync(join(d.dataRoot, 'containers', id));
}

export async function holdingsNow(d: TestDaemon): Promise<Holdings> {
  return holdings(d, (await leftoverMounts(d.dir)).length);
}

/** What grew between two counts; descriptors and sockets get a little slack for SQLite and idle keep-alives. */
export function leaks(before: Holdings, after: Holdings): string[] {
  const out: string[] = [];
  for (const k of ['mounts', 'cgroups', 'netns', 'veths', 'ipLeases', 'conmons'] as const) if (after[k] > before[k]) out.push(`${k}: ${before[k]} -> ${after[k]}`);
  if (after.fds > before.fds + 3) out.push(`berthd fds: ${before.fds} -> ${after.fds}`);
  if (after.sockets > before.sockets + 2) out.push(`berthd sockets: ${before.sockets} -> ${after.sockets}`);
  return out;
}

/** A failure a user should never get from load: a hang (the client was killed), a 500 with a stack, an internal message. */
export function badFailure(r: RunResult): string | undefined {
  const text = r.stderr + r.stdout;
  if (r.code === 0) return undefined;
  if (r.code === 128 || r.code === 137) return 'hung (killed after its time)';
  if (/\n\s+at .+:\d+:\d+\)?/.test(text)) return 'a stack trace';
  if (/Cannot read properties|ERR_[A-Z_]{4,}|\bE[A-Z]{3,}: [a-z]/.test(text)) return 'an internal or raw errno message';
  if (!text.trim()) return 'no error message at all';
  return undefined;
}

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function http(url: string, method: string, body?: Buffer, headers: Record<string, string> = {}, cutAfter?: number): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body && cutAfter !== undefined) {
      // The client dies mid-upload: half the bytes, then the connection is torn down.
      req.write(body.subarray(0, cutAfter), () => setTimeout(() => req.destroy(new Error('cut')), 20));
      return;
    }
    req.end(body);
  });
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * One blob upload to `repo`: POST, PATCH (cut half-way when `cut`), and — for a cut one — the
 * upload's status, the rest from where the registry says it stands, then PUT with the digest.
 * Returns the blob's digest and whether it was cut and resumed.
 */
export async function uploadBlob(base: string, repo: string, size: number, cut: boolean, blob = randomBytes(size)): Promise<{ digest: string; resumed: boolean }> {
  size = blob.length;
  const digest = sha(blob);
  const start = await http(`${base}/v2/${repo}/blobs/uploads/`, 'POST');
  if (start.status !== 202) throw new Error(`upload start answered ${start.status}`);
  const loc = new URL(String(start.headers['location']), base).href;
  let offset = 0;
  if (cut) {
    await http(loc, 'PATCH', blob, { 'Content-Type': 'application/octet-stream' }, size >> 1).catch(() => undefined);
    const st = await http(loc, 'GET');
    if (st.status !== 204) throw new Error(`a cut upload's status answered ${st.status}`);
    const range = /^0-(\d+)$/.exec(String(st.headers['range'] ?? ''));
    // "0-0" is the protocol's answer for an empty upload as well as for one byte: read it as empty.
    offset = range && range[1] !== '0' ? Number(range[1]) + 1 : 0;
  }
  const rest = blob.subarray(offset);
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
  if (offset > 0) headers['Content-Range'] = `${offset}-${size - 1}`;
  const p = await http(loc, 'PATCH', rest, headers);
  if (p.status !== 202) throw new Error(`PATCH from ${offset} answered ${p.status}: ${p.body.toString().slice(0, 200)}`);
  const loc2 = new URL(String(p.headers['location'] ?? loc), base);
  loc2.searchParams.set('digest', digest);
  const put = await http(loc2.href, 'PUT');
  if (put.status !== 201) throw new Error(`PUT answered ${put.status}: ${put.body.toString().slice(0, 200)}`);
  return { digest, resumed: cut && offset > 0 };
}

/** The blob as the registry serves it now: 'ok', 'missing' or 'corrupt'. */
export async function blobState(base: string, repo: string, digest: string): Promise<'ok' | 'missing' | 'corrupt'> {
  const r = await http(`${base}/v2/${repo}/blobs/${digest}`, 'GET');
  if (r.status === 404) return 'missing';
  if (r.status === 307 || r.status === 302) {
    const again = await http(new URL(String(r.headers['location']), base).href, 'GET');
    return again.status === 200 && sha(again.body) === digest ? 'ok' : 'corrupt';
  }
  return r.status === 200 && sha(r.body) === digest ? 'ok' : 'corrupt';
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Tags a manifest naming `config` and one layer (both uploaded already); returns the manifest's digest. */
export async function tagManifest(base: string, repo: string, tag: string, config: { digest: string; size: number }, layer: { digest: string; size: number }): Promise<string> {
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }),
  );
  const r = await http(`${base}/v2/${repo}/manifests/${tag}`, 'PUT', body, { 'Content-Type': OCI_MANIFEST });
  if (r.status !== 201) throw new Error(`manifest PUT answered ${r.status}: ${r.body.toString().slice(0, 200)}`);
  return sha(body);
}
