import type { ServerResponse } from 'node:http';
import { isDigest, type Digest } from '../../util/index.js';
import type { RegistryDeps } from './context.js';
import { MAX_MANIFEST_BYTES } from './manifests.js';
import { checkName, isTag } from './names.js';

/**
 * The web page: repositories (searchable), their tags with digest, size and platforms, and each
 * image's layers and config (created, command, history). Rendered on the server; the only script
 * filters the repository list as one types (Enter asks the server instead).
 */
const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2433}
header{background:#0b3d91;color:#fff;padding:12px 24px}header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 24px;max-width:1100px}table{border-collapse:collapse;width:100%;background:#fff}
td,th{border-bottom:1px solid #e3e6ea;padding:6px 8px;text-align:left;vertical-align:top}code{font-size:12px}
input{padding:6px;width:320px}.muted{color:#667}`;

function page(title: string, body: string): Buffer {
  return Buffer.from(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head>` +
      `<body><header><a href="/">berth registry</a></header><main>${body}</main></body></html>`,
  );
}

function human(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i] as string}`;
}

interface Doc {
  mediaType?: string;
  config?: { digest: Digest; size: number };
  layers?: { digest: Digest; size: number; mediaType: string }[];
  manifests?: { digest: Digest; size: number; mediaType: string; platform?: { os?: string; architecture?: string; variant?: string } }[];
}

interface ConfigDoc {
  created?: string;
  os?: string;
  architecture?: string;
  config?: { Cmd?: string[]; Entrypoint?: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean }[];
}

async function json<T>(deps: RegistryDeps, d: Digest): Promise<T | null> {
  try {
    return JSON.parse((await deps.manifests.get(d, MAX_MANIFEST_BYTES)).toString('utf8')) as T;
  } catch {
    return null;
  }
}

async function summary(deps: RegistryDeps, d: Digest): Promise<{ size: number; platforms: string }> {
  const m = await json<Doc>(deps, d);
  if (!m) return { size: 0, platforms: '' };
  if (m.manifests) {
    const plats = m.manifests.map((x) => (x.platform ? [x.platform.os, x.platform.architecture, x.platform.variant].filter(Boolean).join('/') : '')).filter(Boolean);
    return { size: m.manifests.reduce((n, x) => n + x.size, 0), platforms: plats.join(', ') };
  }
  const size = (m.config?.size ?? 0) + (m.layers ?? []).reduce((n, l) => n + l.size, 0);
  const c = m.config ? await json<ConfigDoc>(deps, m.config.digest) : null;
  return { size, platforms: c?.os ? `${c.os}/${c.architecture ?? ''}` : '' };
}

async function repoList(q: string, deps: RegistryDeps): Promise<Buffer> {
  const repos = deps.meta.catalog('', 10_000).filter((r) => r.includes(q));
  const rows = repos.map((r) => `<tr data-repo="${esc(r)}"><td><a href="/ui/${esc(r)}">${esc(r)}</a></td><td>${deps.meta.tags(r, '', 10_000).length}</td></tr>`).join('');
  return page(
    'berth registry',
    `<form><input name="q" placeholder="Search repositories" value="${esc(q)}" autocomplete="off"></form><h2>Repositories</h2>` +
      `<table id="repositories"><tr><th>Repository</th><th>Tags</th></tr>${rows || '<tr><td colspan="2" class="muted">No repositories</td></tr>'}</table>` +
      // Filters the rows as one types; without script, Enter submits the form and the server filters.
      `<script>const q = document.querySelector('input[name=q]'); q.addEventListener('input', () => { for (const tr of document.querySelectorAll('#repositories tr[data-repo]')) tr.hidden = !tr.dataset.repo.includes(q.value); });</script>`,
  );
}

async function tagList(repo: string, deps: RegistryDeps): Promise<Buffer> {
  const rows: string[] = [];
  for (const t of deps.meta.tags(repo, '', 10_000)) {
    const d = deps.meta.tag(repo, t);
    if (!d) continue;
    const s = await summary(deps, d);
    rows.push(`<tr><td><a href="/ui/${esc(repo)}?tag=${encodeURIComponent(t)}">${esc(t)}</a></td><td><code>${esc(d)}</code></td><td>${human(s.size)}</td><td>${esc(s.platforms)}</td></tr>`);
  }
  return page(repo, `<h2>${esc(repo)}</h2><table id="tags"><tr><th>Tag</th><th>Digest</th><th>Size</th><th>Platforms</th></tr>${rows.join('')}</table>`);
}

async function imageDetail(repo: string, label: string, d: Digest, deps: RegistryDeps): Promise<Buffer> {
  const m = await json<Doc>(deps, d);
  let body = `<h2>${esc(repo)}:${esc(label)}</h2><p>Digest <code>${esc(d)}</code> · ${esc(m?.mediaType ?? '')}</p>`;
  if (m?.manifests) {
    body += `<h3>Platforms</h3><table id="platforms"><tr><th>Platform</th><th>Digest</th><th>Size</th></tr>${m.manifests
      .map((x) => `<tr><td>${esc([x.platform?.os, x.platform?.architecture, x.platform?.variant].filter(Boolean).join('/'))}</td><td><a href="/ui/${esc(repo)}?digest=${esc(x.digest)}"><code>${esc(x.digest)}</code></a></td><td>${human(x.size)}</td></tr>`)
      .join('')}</table>`;
  }
  if (m?.layers) {
    body += `<h3>Layers</h3><table id="layers"><tr><th>Digest</th><th>Size</th><th>Type</th></tr>${m.layers
      .map((l) => `<tr><td><code>${esc(l.digest)}</code></td><td>${human(l.size)}</td><td>${esc(l.mediaType)}</td></tr>`)
      .join('')}</table>`;
  }
  const c = m?.config ? await json<ConfigDoc>(deps, m.config.digest) : null;
  if (c) {
    const cmd = [...(c.config?.Entrypoint ?? []), ...(c.config?.Cmd ?? [])].join(' ');
    body += `<h3>Config</h3><table id="config"><tr><th>Created</th><td>${esc(c.created ?? '')}</td></tr><tr><th>Platform</th><td>${esc(`${c.os ?? ''}/${c.architecture ?? ''}`)}</td></tr><tr><th>Command</th><td><code>${esc(cmd)}</code></td></tr></table>`;
    body += `<h3>History</h3><table id="history"><tr><th>Created</th><th>Created by</th></tr>${(c.history ?? [])
      .map((h) => `<tr><td>${esc(h.created ?? '')}</td><td><code>${esc(h.created_by ?? '')}</code></td></tr>`)
      .join('')}</table>`;
  }
  return page(`${repo}:${label}`, body);
}

export async function renderUi(path: string, query: URLSearchParams, deps: RegistryDeps, res: ServerResponse): Promise<void> {
  let html: Buffer | null = null;
  if (path === '/') {
    html = await repoList(query.get('q') ?? '', deps);
  } else {
    const repo = path.slice('/ui/'.length);
    let valid = true;
    try {
      checkName(repo);
    } catch {
      valid = false;
    }
    if (valid && deps.meta.repositoryKnown(repo)) {
      const tag = query.get('tag');
      const digest = query.get('digest');
      if (tag !== null && isTag(tag)) {
        const d = deps.meta.tag(repo, tag);
        if (d) html = await imageDetail(repo, tag, d, deps);
      } else if (digest !== null && isDigest(digest)) {
        if (deps.meta.manifest(repo, digest)) html = await imageDetail(repo, digest, digest, deps);
      } else if (tag === null && digest === null) {
        html = await tagList(repo, deps);
      }
    }
  }
  const status = html ? 200 : 404;
  const data = html ?? page('not found', '<h2>Not found</h2>');
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': data.length, 'X-Content-Type-Options': 'nosniff' });
  res.end(data);
}
