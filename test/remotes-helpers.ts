import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Registry {
  host: string;
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    p.once('exit', () => res());
    p.kill('SIGTERM');
  });
}

/** Debian's CNCF distribution registry on 127.0.0.1:<free port>, storage in a temp dir (plus an htpasswd file when given). */
export async function startRegistry(opts: { htpasswd?: string; proxy?: string } = {}): Promise<Registry> {
  const root = await mkdtemp(join(tmpdir(), 'berth-remotes-reg-'));
  const port = await freePort();
  const config = join(root, 'config.yml');
  let extra = '';
  if (opts.htpasswd) {
    await writeFile(join(root, 'htpasswd'), opts.htpasswd);
    extra += `auth:\n  htpasswd: { realm: test, path: ${join(root, 'htpasswd')} }\n`;
  }
  if (opts.proxy) extra += `proxy: { remoteurl: ${opts.proxy} }\n`;
  await writeFile(
    config,
    `version: 0.1\nlog: { level: error, accesslog: { disabled: true } }\nstorage:\n  filesystem: { rootdirectory: ${join(root, 'data')} }\n  delete: { enabled: true }\nhttp: { addr: 127.0.0.1:${port} }\n${extra}`,
  );
  const p = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await fetch(`${url}/v2/`).then((r) => r.status === 200 || r.status === 401, () => false);
    if (ok) break;
    if (p.exitCode !== null || Date.now() > deadline) {
      await stop(p);
      await rm(root, { recursive: true, force: true });
      throw new Error(`registry did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `127.0.0.1:${port}`,
    url,
    stop: async () => {
      await stop(p);
      await rm(root, { recursive: true, force: true });
    },
  };
}
