import { ensureSchema, openDatabase, type Db } from '../../core/metadata/index.js';
import type { Digest } from '../../util/index.js';

export interface ManifestRecord {
  repo: string;
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType: string | null;
  subject: Digest | null;
  created: number;
}

export interface UploadRecord {
  uuid: string;
  repo: string;
  offset: number;
  started: number;
}

const SCHEMA = [
  `CREATE TABLE repositories (name TEXT PRIMARY KEY, created INTEGER NOT NULL);
   CREATE TABLE repo_blobs (repo TEXT NOT NULL, digest TEXT NOT NULL, size INTEGER NOT NULL, created INTEGER NOT NULL,
     PRIMARY KEY (repo, digest));
   CREATE INDEX repo_blobs_digest ON repo_blobs (digest);
   CREATE TABLE manifests (repo TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,
     artifact_type TEXT, subject TEXT, created INTEGER NOT NULL, PRIMARY KEY (repo, digest));
   CREATE INDEX manifests_subject ON manifests (repo, subject);
   CREATE INDEX manifests_digest ON manifests (digest);
   CREATE TABLE manifest_refs (repo TEXT NOT NULL, digest TEXT NOT NULL, child TEXT NOT NULL, PRIMARY KEY (repo, digest, child));
   CREATE INDEX manifest_refs_child ON manifest_refs (child);
   CREATE TABLE tags (repo TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY (repo, tag));
   CREATE INDEX tags_digest ON tags (repo, digest);
   CREATE TABLE uploads (uuid TEXT PRIMARY KEY, repo TEXT NOT NULL, offset INTEGER NOT NULL, started INTEGER NOT NULL);`,
  // The pull-through cache's last upstream answer to a listing, served when the upstream fails.
  `CREATE TABLE upstream_answers (repo TEXT NOT NULL, request TEXT NOT NULL, body BLOB NOT NULL, link TEXT, fetched INTEGER NOT NULL,
     PRIMARY KEY (repo, request));`,
];

interface ManifestRow {
  repo: string;
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  subject: string | null;
  created: number;
}

function toManifest(r: ManifestRow): ManifestRecord {
  return {
    repo: r.repo,
    digest: r.digest as Digest,
    mediaType: r.media_type,
    size: r.size,
    artifactType: r.artifact_type,
    subject: r.subject as Digest | null,
    created: r.created,
  };
}

/**
 * Repositories, their blob links, manifests, tags and upload sessions, in one SQLite file under the
 * registry root. The bytes live in the content store, shared across repositories; a repository sees a
 * blob only through its link, so deleting in one repository never breaks another.
 */
export class RegistryMetadata {
  readonly #db: Db;
  readonly #stmts;

  constructor(path: string) {
    this.#db = openDatabase(path);
    ensureSchema(this.#db, 'registry', SCHEMA);
    const db = this.#db;
    this.#stmts = {
      putAnswer: db.prepare(
        `INSERT INTO upstream_answers (repo, request, body, link, fetched) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (repo, request) DO UPDATE SET body = excluded.body, link = excluded.link, fetched = excluded.fetched`,
      ),
      answer: db.prepare('SELECT body, link FROM upstream_answers WHERE repo = ? AND request = ?'),
      addRepo: db.prepare('INSERT OR IGNORE INTO repositories (name, created) VALUES (?, ?)'),
      linkBlob: db.prepare('INSERT OR IGNORE INTO repo_blobs (repo, digest, size, created) VALUES (?, ?, ?, ?)'),
      blobLink: db.prepare('SELECT size FROM repo_blobs WHERE repo = ? AND digest = ?'),
      unlinkBlob: db.prepare('DELETE FROM repo_blobs WHERE repo = ? AND digest = ?'),
      manifest: db.prepare('SELECT * FROM manifests WHERE repo = ? AND digest = ?'),
      putManifest: db.prepare(
        `INSERT INTO manifests (repo, digest, media_type, size, artifact_type, subject, created) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (repo, digest) DO UPDATE SET media_type = excluded.media_type`,
      ),
      addRef: db.prepare('INSERT OR IGNORE INTO manifest_refs (repo, digest, child) VALUES (?, ?, ?)'),
      deleteManifest: db.prepare('DELETE FROM manifests WHERE repo = ? AND digest = ?'),
      deleteRefs: db.prepare('DELETE FROM manifest_refs WHERE repo = ? AND digest = ?'),
      deleteTagsOf: db.prepare('DELETE FROM tags WHERE repo = ? AND digest = ?'),
      tag: db.prepare('SELECT digest FROM tags WHERE repo = ? AND tag = ?'),
      putTag: db.prepare(
        'INSERT INTO tags (repo, tag, digest, updated) VALUES (?, ?, ?, ?) ON CONFLICT (repo, tag) DO UPDATE SET digest = excluded.digest, updated = excluded.updated',
      ),
      deleteTag: db.prepare('DELETE FROM tags WHERE repo = ? AND tag = ?'),
      tags: db.prepare('SELECT tag FROM tags WHERE repo = ? AND tag > ? ORDER BY tag LIMIT ?'),
      repoKnown: db.prepare(
        `SELECT 1 FROM repositories WHERE name = ? AND (EXISTS (SELECT 1 FROM manifests WHERE repo = name)
           OR EXISTS (SELECT 1 FROM repo_blobs WHERE repo = name) OR EXISTS (SELECT 1 FROM tags WHERE repo = name))`,
      ),
      catalog: db.prepare(
        `SELECT name FROM repositories r WHERE name > ? AND EXISTS (SELECT 1 FROM manifests m WHERE m.repo = r.name) ORDER BY name LIMIT ?`,
      ),
      referrers: db.prepare('SELECT * FROM manifests WHERE repo = ? AND subject = ? ORDER BY digest'),
      addUpload: db.prepare('INSERT INTO uploads (uuid, repo, offset, started) VALUES (?, ?, 0, ?)'),
      upload: db.prepare('SELECT uuid, repo, offset, started FROM uploads WHERE uuid = ?'),
      setOffset: db.prepare('UPDATE uploads SET offset = ? WHERE uuid = ?'),
      deleteUpload: db.prepare('DELETE FROM uploads WHERE uuid = ?'),
      uploads: db.prepare('SELECT uuid, repo, offset, started FROM uploads'),
    };
  }

  close(): void {
    this.#db.close();
  }

  linkBlob(repo: string, digest: Digest, size: number): void {
    const now = Date.now();
    this.#db.transaction(() => {
      this.#stmts.addRepo.run(repo, now);
      this.#stmts.linkBlob.run(repo, digest, size, now);
    })();
  }

  /** The linked blob's size, or null when the repository has no link to it. */
  blobLink(repo: string, digest: Digest): number | null {
    const r = this.#stmts.blobLink.get(repo, digest) as { size: number } | undefined;
    return r?.size ?? null;
  }

  unlinkBlob(repo: string, digest: Digest): boolean {
    return this.#stmts.unlinkBlob.run(repo, digest).changes > 0;
  }

  manifest(repo: string, digest: Digest): ManifestRecord | null {
    const r = this.#stmts.manifest.get(repo, digest) as ManifestRow | undefined;
    return r ? toManifest(r) : null;
  }

  /** Records a manifest, the blobs and manifests it names, and (when given) its tag, in one transaction. */
  putManifest(m: Omit<ManifestRecord, 'created'>, children: readonly Digest[], tag: string | null): void {
    const now = Date.now();
    this.#db.transaction(() => {
      this.#stmts.addRepo.run(m.repo, now);
      this.#stmts.putManifest.run(m.repo, m.digest, m.mediaType, m.size, m.artifactType, m.subject, now);
      for (const c of children) this.#stmts.addRef.run(m.repo, m.digest, c);
      if (tag !== null) this.#stmts.putTag.run(m.repo, tag, m.digest, now);
    })();
  }

  /**
   * Checks that the repository holds every blob and manifest a pushed manifest names and records it,
   * in one transaction, so a GC running in another process cannot unlink a blob in between. Returns
   * the first missing digest (nothing recorded) or null.
   */
  putManifestChecked(m: Omit<ManifestRecord, 'created'>, blobs: readonly Digest[], manifests: readonly Digest[], tag: string | null): Digest | null {
    return this.#db.transaction(() => {
      for (const b of blobs) if (this.#stmts.blobLink.get(m.repo, b) === undefined) return b;
      for (const c of manifests) if (this.#stmts.manifest.get(m.repo, c) === undefined) return c;
      this.putManifest(m, [...blobs, ...manifests], tag);
      return null;
    }).immediate();
  }

  /** Removes a manifest and every tag naming it. */
  deleteManifest(repo: string, digest: Digest): boolean {
    return this.#db.transaction(() => {
      const n = this.#stmts.deleteManifest.run(repo, digest).changes;
      this.#stmts.deleteRefs.run(repo, digest);
      this.#stmts.deleteTagsOf.run(repo, digest);
      return n > 0;
    })();
  }

  tag(repo: string, tag: string): Digest | null {
    const r = this.#stmts.tag.get(repo, tag) as { digest: string } | undefined;
    return (r?.digest as Digest | undefined) ?? null;
  }

  deleteTag(repo: string, tag: string): boolean {
    return this.#stmts.deleteTag.run(repo, tag).changes > 0;
  }

  /** Tags in lexical order after `last`, at most `n`. */
  /** Remembers the upstream's answer to a listing request (pull-through cache). */
  putUpstreamAnswer(repo: string, request: string, body: Buffer, link: string | null): void {
    this.#stmts.putAnswer.run(repo, request, body, link, Date.now());
  }

  upstreamAnswer(repo: string, request: string): { body: Buffer; link: string | null } | null {
    return (this.#stmts.answer.get(repo, request) as { body: Buffer; link: string | null } | undefined) ?? null;
  }

  tags(repo: string, last: string, n: number): string[] {
    return (this.#stmts.tags.all(repo, last, n) as { tag: string }[]).map((r) => r.tag);
  }

  repositoryKnown(repo: string): boolean {
    return this.#stmts.repoKnown.get(repo) !== undefined;
  }

  /** Repositories holding at least one manifest, in lexical order after `last`. */
  catalog(last: string, n: number): string[] {
    return (this.#stmts.catalog.all(last, n) as { name: string }[]).map((r) => r.name);
  }

  referrers(repo: string, subject: Digest): ManifestRecord[] {
    return (this.#stmts.referrers.all(repo, subject) as ManifestRow[]).map(toManifest);
  }

  addUpload(uuid: string, repo: string): UploadRecord {
    const now = Date.now();
    this.#db.transaction(() => {
      this.#stmts.addRepo.run(repo, now);
      this.#stmts.addUpload.run(uuid, repo, now);
    })();
    return { uuid, repo, offset: 0, started: now };
  }

  upload(uuid: string): UploadRecord | null {
    return (this.#stmts.upload.get(uuid) as UploadRecord | undefined) ?? null;
  }

  setUploadOffset(uuid: string, offset: number): void {
    this.#stmts.setOffset.run(offset, uuid);
  }

  deleteUpload(uuid: string): void {
    this.#stmts.deleteUpload.run(uuid);
  }

  uploads(): UploadRecord[] {
    return this.#stmts.uploads.all() as UploadRecord[];
  }

  /** Every digest something still needs: linked blobs, manifests, their references (for GC). */
  referencedDigests(): Set<string> {
    const out = new Set<string>();
    const q = `SELECT digest AS d FROM repo_blobs UNION SELECT digest FROM manifests UNION SELECT child FROM manifest_refs`;
    for (const r of this.#db.prepare(q).all() as { d: string }[]) out.add(r.d);
    return out;
  }

  /** Runs `fn` in one transaction (GC's mark-and-unlink step). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  /** Raw access for GC's queries, kept inside this module. */
  get db(): Db {
    return this.#db;
  }
}
