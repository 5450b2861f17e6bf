import { join } from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { createContentStore } from '../core/content/index.js';
import {
  FileSender,
  ManifestCache,
  RegistryMetadata,
  RegistryServer,
  Uploads,
  loadAuth,
  loadGc,
  loadPullThrough,
  type Authorizer,
  type GcReport,
  type RegistryServerOptions,
} from '../server/registry/index.js';
import type { GcCommandOptions, ServeOptions } from './options.js';

export interface RunningRegistry {
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** Wires the content store, the registry's metadata and the uploads under one root. */
function open(root: string): { meta: RegistryMetadata; content: ReturnType<typeof createContentStore>; uploads: Uploads } {
  const content = createContentStore(root);
  const meta = new RegistryMetadata(join(root, 'registry.db'));
  const uploads = new Uploads(root, meta, content);
  return { meta, content, uploads };
}

export async function startRegistry(opts: ServeOptions, log: (line: string) => void): Promise<RunningRegistry> {
  await mkdir(opts.root, { recursive: true });
  const { meta, content, uploads } = open(opts.root);
  let auth: Pick<RegistryServerOptions, 'auth' | 'tokenHandler'> = {};
  if (opts.auth !== 'none' && opts.htpasswd !== undefined) {
    const { Htpasswd, BasicAuthorizer, TokenAuthorizer, AccessRules } = await loadAuth();
    const users = new Htpasswd(opts.htpasswd);
    const rules = opts.access.length > 0 ? new AccessRules(opts.access) : null;
    if (opts.auth === 'basic') {
      auth = { auth: new BasicAuthorizer(users, rules, opts.realm) };
    } else {
      const t = new TokenAuthorizer({
        users,
        keyPath: opts.tokenKey ?? join(opts.root, 'token-key.pem'),
        ...(opts.anonymousPull ? { anonymous: ['pull'] } : {}),
        ...(rules ? { rules } : {}),
      });
      const a: Authorizer = t;
      auth = { auth: a, tokenHandler: t.issue };
    }
  }
  const manifests = new ManifestCache(content);
  const proxy = opts.proxies.length > 0 ? new (await loadPullThrough())(opts.proxies, meta, content, manifests) : undefined;
  const tls = opts.tlsCert !== undefined && opts.tlsKey !== undefined ? { cert: await readFile(opts.tlsCert), key: await readFile(opts.tlsKey) } : undefined;
  const server = new RegistryServer({
    ...auth,
    ...(tls ? { tls } : {}),
    deps: { content, meta, uploads, manifests, files: new FileSender(), readOnly: opts.readOnly, ...(proxy ? { proxy } : {}) },
    ...(opts.accessLog ? { accessLog: (e) => log(JSON.stringify({ time: new Date().toISOString(), msg: 'request', ...e })) } : {}),
    onInternalError: (err) => log(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: err instanceof Error ? (err.stack ?? err.message) : String(err) })),
  });
  const addr = await server.listen(opts.host, opts.port);
  // Online GC: one pass at a time, beside the requests; the grace period protects pushes in flight.
  const collectGarbage = opts.gcIntervalMs > 0 ? await loadGc() : null;
  let gcRunning: Promise<unknown> | null = null;
  const timer =
    collectGarbage
      ? setInterval(() => {
          if (gcRunning) return;
          gcRunning = collectGarbage(meta, content, uploads, { graceMs: opts.graceMs, uploadMaxAgeMs: opts.uploadMaxAgeMs, deleteUntagged: false, dryRun: false })
            .then((r) => log(JSON.stringify({ time: new Date().toISOString(), msg: 'gc', blobs: r.blobs.length, bytes: r.blobs.reduce((n, b) => n + b.size, 0), links: r.links.length, uploads: r.uploads.length })))
            .catch((e: unknown) => log(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: `gc failed: ${String(e)}` })))
            .finally(() => (gcRunning = null));
        }, opts.gcIntervalMs)
      : null;
  timer?.unref();
  return {
    ...addr,
    async stop() {
      if (timer) clearInterval(timer);
      await gcRunning;
      await server.close();
      meta.close();
    },
  };
}

export async function runGc(opts: GcCommandOptions): Promise<GcReport> {
  const { meta, content, uploads } = open(opts.root);
  try {
    return await (await loadGc())(meta, content, uploads, opts);
  } finally {
    meta.close();
  }
}
