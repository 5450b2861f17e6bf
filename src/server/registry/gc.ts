import { stat } from 'node:fs/promises';
import type { ContentStore } from '../../core/content/index.js';
import type { Digest } from '../../util/index.js';
import type { RegistryMetadata } from './metadata.js';
import type { Uploads } from './uploads.js';

export interface GcOptions {
  /** Blobs and links younger than this are kept: a push in progress has not named them in a manifest yet. */
  graceMs: number;
  /** Upload sessions untouched for longer than this are abandoned. */
  uploadMaxAgeMs: number;
  /** Also remove manifests no tag reaches (directly, through an index, or as a referrer of one). */
  deleteUntagged: boolean;
  dryRun: boolean;
  signal?: AbortSignal;
}

export interface GcReport {
  manifests: { repo: string; digest: Digest }[];
  links: { repo: string; digest: Digest }[];
  blobs: { digest: Digest; size: number }[];
  uploads: string[];
}

/**
 * Mark and sweep, safe while the registry serves: marks every manifest (or, with deleteUntagged,
 * those reachable from tags and their referrers) and what they name; unlinks and deletes the rest
 * when older than the grace period. Deleting in one repository never touches another's links.
 */
export async function collectGarbage(meta: RegistryMetadata, content: ContentStore, uploads: Uploads, opts: GcOptions): Promise<GcReport> {
  const report: GcReport = { manifests: [], links: [], blobs: [], uploads: [] };
  const cutoff = Date.now() - opts.graceMs;
  const db = meta.db;
  const sweepDb = (): Set<string> => {
    if (opts.deleteUntagged) {
      const all = db.prepare('SELECT repo, digest, subject, created FROM manifests').all() as { repo: string; digest: Digest; subject: string | null; created: number }[];
      const refs = db.prepare('SELECT repo, digest, child FROM manifest_refs').all() as { repo: string; digest: string; child: string }[];
      const keep = new Set<string>();
      const key = (repo: string, d: string): string => `${repo}\0${d}`;
      const stack = (db.prepare('SELECT repo, digest FROM tags').all() as { repo: string; digest: string }[]).map((t) => key(t.repo, t.digest));
      for (const m of all) if (m.created >= cutoff) stack.push(key(m.repo, m.digest));
      const children = new Map<string, string[]>();
      for (const r of refs) children.set(key(r.repo, r.digest), [...(children.get(key(r.repo, r.digest)) ?? []), key(r.repo, r.child)]);
      const referrers = new Map<string, string[]>();
      for (const m of all) if (m.subject) referrers.set(key(m.repo, m.subject), [...(referrers.get(key(m.repo, m.subject)) ?? []), key(m.repo, m.digest)]);
      while (stack.length > 0) {
        const k = stack.pop() as string;
        if (keep.has(k)) continue;
        keep.add(k);
        stack.push(...(children.get(k) ?? []), ...(referrers.get(k) ?? []));
      }
      for (const m of all) {
        if (!keep.has(key(m.repo, m.digest))) {
          report.manifests.push({ repo: m.repo, digest: m.digest });
          if (!opts.dryRun) meta.deleteManifest(m.repo, m.digest);
        }
      }
    }
    // What the remaining manifests need, per repository, and which links nothing needs any more.
    const marked = new Set<string>();
    const needed = db.prepare('SELECT repo, digest AS d FROM manifests UNION SELECT repo, child FROM manifest_refs').all() as { repo: string; d: string }[];
    const removed = new Set(report.manifests.map((m) => `${m.repo}\0${m.digest}`));
    const neededLinks = new Set<string>();
    for (const n of needed) {
      if (removed.has(`${n.repo}\0${n.d}`)) continue;
      marked.add(n.d);
      neededLinks.add(`${n.repo}\0${n.d}`);
    }
    const links = db.prepare('SELECT repo, digest, created FROM repo_blobs').all() as { repo: string; digest: Digest; created: number }[];
    for (const l of links) {
      if (neededLinks.has(`${l.repo}\0${l.digest}`) || l.created >= cutoff) {
        marked.add(l.digest);
        continue;
      }
      report.links.push({ repo: l.repo, digest: l.digest });
      if (!opts.dryRun) meta.unlinkBlob(l.repo, l.digest);
    }
    return marked;
  };
  const marked = opts.dryRun ? sweepDb() : meta.transaction(sweepDb);
  for await (const d of content.list()) {
    opts.signal?.throwIfAborted();
    if (marked.has(d)) continue;
    let st;
    try {
      st = await stat(content.path(d));
    } catch {
      continue;
    }
    if (st.mtimeMs >= cutoff) continue;
    // A push may have linked it since the mark: look once more before deleting.
    if (!opts.dryRun && meta.referencedDigests().has(d)) continue;
    report.blobs.push({ digest: d, size: st.size });
    if (!opts.dryRun) await content.delete(d).catch(() => undefined);
  }
  report.uploads = await uploads.purge(opts.uploadMaxAgeMs, opts.dryRun);
  return report;
}
