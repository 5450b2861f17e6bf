import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The build these tests were compiled into (dist/ or a private --outDir), so the server runs the same code. */
const DIST = process.env['BERTH_DIST'] ?? resolve(import.meta.dirname, '..');
const REPO = [resolve(import.meta.dirname, '../..'), process.cwd()].find((d) => existsSync(join(d, 'bin/berth-registry'))) ?? process.cwd();
export const BERTH_REGISTRY = join(REPO, 'bin/berth-registry');

export interface RunningServer {
  name: 'berth' | 'distribution';
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT */
  host: string;
  root: string;
  stop(): Promise<void>;
  /** kill -9: no shutdown code runs. */
  crash(): Promise<void>;
  /** Stops and removes the storage root. */
  cleanup(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.once('exit', () => {
      clearTimeout(t);
      res();
    });
    p.kill('SIGTERM');
  });
}

/** Until the port accepts connections (TLS servers with a test certificate) or /v2/ answers. */
async function waitReady(url: string, p: ChildProcess, log: () => string): Promise<void> {
  const u = new URL(url);
  for (let i = 0; i < 200; i++) {
    if (p.exitCode !== null) throw new Error(`registry exited with ${p.exitCode}: ${log()}`);
    try {
      if (u.protocol === 'https:') {
        await new Promise<void>((res, rej) => {
          const s = connect(Number(u.port), u.hostname, () => (s.destroy(), res()));
          s.once('error', rej);
        });
        return;
      }
      const r = await fetch(`${url}/v2/`);
      await r.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`registry did not answer at ${url}: ${log()}`);
}

/** `berth registry serve` on a free port; `root` reuses a storage root (restart tests). */
export async function startBerthRegistry(opts: { root?: string; args?: string[] } = {}): Promise<RunningServer> {
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'berth-registry-')));
  const port = await freePort();
  const p = spawn(process.execPath, [BERTH_REGISTRY, 'serve', '--addr', `127.0.0.1:${port}`, '--root', root, '--no-access-log', ...(opts.args ?? [])], {
    env: { ...process.env, BERTH_DIST: DIST },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  p.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  p.stdout?.resume();
  const url = `${opts.args?.includes('--tls-cert') ? 'https' : 'http'}://127.0.0.1:${port}`;
  try {
    await waitReady(url, p, () => err);
  } catch (e) {
    await stopProcess(p);
    if (!opts.root) await rm(root, { recursive: true, force: true });
    throw e;
  }
  const stop = (): Promise<void> => stopProcess(p);
  const crash = (): Promise<void> => (p.exitCode !== null ? Promise.resolve() : new Promise<void>((res) => (p.once('exit', () => res()), p.kill('SIGKILL'))));
  return { name: 'berth', crash, url, host: `127.0.0.1:${port}`, root, stop, cleanup: async () => (await stop(), await rm(root, { recursive: true, force: true })) };
}

/** Debian's CNCF distribution registry (the reference), deletes enabled, on a free port. */
export async function startDistribution(): Promise<RunningServer> {
  const root = await mkdtemp(join(tmpdir(), 'berth-distribution-'));
  const port = await freePort();
  const config = join(root, 'config.yml');
  await writeFile(
    config,
    `version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage:
  filesystem: { rootdirectory: ${join(root, 'data')} }
  delete: { enabled: true }
http: { addr: 127.0.0.1:${port} }
`,
  );
  const p = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, p, () => err);
  } catch (e) {
    await stopProcess(p);
    await rm(root, { recursive: true, force: true });
    throw e;
  }
  const stop = (): Promise<void> => stopProcess(p);
  const crash = (): Promise<void> => (p.exitCode !== null ? Promise.resolve() : new Promise<void>((res) => (p.once('exit', () => res()), p.kill('SIGKILL'))));
  return { name: 'distribution', crash, url, host: `127.0.0.1:${port}`, root, stop, cleanup: async () => (await stop(), await rm(root, { recursive: true, force: true })) };
}

/** Runs `berth-registry ARGS…` (e.g. gc) to completion. */
export function registryCommand(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BERTH_REGISTRY, ...args], { env: { ...process.env, BERTH_DIST: DIST } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** An OCI layout with one small image, for skopeo to push. */
export async function makeOciLayout(into: string): Promise<string> {
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const blobs = join(into, 'blobs/sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (b: Buffer): Promise<{ digest: string; size: number }> => (await writeFile(join(blobs, sha(b)), b), { digest: `sha256:${sha(b)}`, size: b.length });
  const layer = await put(execFileSync('tar', ['-C', '/etc', '-cf', '-', 'hostname']));
  const config = await put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } })));
  const manifest = await put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  await writeFile(join(into, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    join(into, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }),
  );
  return into;
}

/** An htpasswd file with one bcrypt user, hashed by glibc (Python's crypt module), as `htpasswd -B` would. */
export async function makeHtpasswd(path: string, user: string, password: string): Promise<string> {
  const script = `import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32)))`;
  const hash = execFileSync('python3', ['-W', 'ignore', '-c', script, password], { encoding: 'utf8' }).trim();
  if (!/^\$2b\$05\$/.test(hash)) throw new Error(`unexpected bcrypt hash ${hash}`);
  await writeFile(path, `# users\n${user}:${hash}\n`);
  return path;
}
