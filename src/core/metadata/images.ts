import { Conflict, InvalidArgument, NotFound } from '../../errdefs/index.js';
import { familiarString, formatReference, parseReference, type Reference } from '../../oci/index.js';
import { isDigest, type Digest } from '../../util/index.js';
import { ensureSchema, type Db } from './db.js';

export interface ImageLayerRecord {
  /** Digest of the blob as stored (compressed or not). */
  digest: Digest;
  /** Digest of the uncompressed tar. */
  diffId: Digest;
  /** Size of the stored blob. */
  size: number;
  mediaType: string;
}

export interface ImageRecord {
  /** The config digest: Docker's image ID. */
  id: Digest;
  configDigest: Digest;
  manifestDigest?: Digest;
  manifestMediaType?: string;
  layers: ImageLayerRecord[];
  /** RFC 3339, from the config (or the load time when the config has none). */
  created: string;
  /** Total uncompressed size of the layers. */
  size: number;
  /** Image ID of the parent (local builds and commits only), as Docker keeps it. */
  parent?: string;
}

const SCHEMA = [
  `CREATE TABLE images (
     id TEXT PRIMARY KEY,
     created TEXT NOT NULL,
     parent TEXT,
     data TEXT NOT NULL
   )`,
  `CREATE TABLE image_tags (
     ref TEXT PRIMARY KEY,
     image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
     kind TEXT NOT NULL CHECK (kind IN ('tag', 'digest')),
     seq INTEGER NOT NULL
   )`,
  'CREATE INDEX image_tags_by_image ON image_tags(image_id)',
  'CREATE INDEX images_by_parent ON images(parent)',
];

interface DataRow {
  data: string;
}

const SHORT_ID_RE = /^[a-f0-9]{1,64}$/;

function parse(row: DataRow | undefined): ImageRecord | undefined {
  return row ? (JSON.parse(row.data) as ImageRecord) : undefined;
}

/** The key a tag or digest reference is stored under: the full canonical string. */
function refKey(ref: string): { key: string; kind: 'tag' | 'digest'; parsed: Reference } {
  const parsed = parseReference(ref, { defaultTag: true });
  if (parsed.digest !== undefined) {
    // Docker keeps name@digest without the tag when both are given.
    const only: Reference = { domain: parsed.domain, path: parsed.path, digest: parsed.digest };
    return { key: formatReference(only), kind: 'digest', parsed: only };
  }
  return { key: formatReference(parsed), kind: 'tag', parsed };
}

/** Docker's "No such image" wording: name-only references show with :latest. */
function noSuchImage(input: string): NotFound {
  let shown = input;
  try {
    if (!(isDigest(input) || /^[a-f0-9]{64}$/.test(input))) shown = familiarString(parseReference(input, { defaultTag: true }));
  } catch {
    /* keep the input as given */
  }
  return new NotFound(`No such image: ${shown}`);
}

/**
 * Image records with their tags and repo digests. Tags are full references
 * (docker.io/library/busybox:latest); a tag names exactly one image, and moving it leaves the old
 * image untouched (dangling if it has no other tag), as Docker does.
 */
export class ImageStore {
  readonly #db: Db;
  #seq = 0;

  constructor(db: Db) {
    this.#db = db;
    ensureSchema(db, 'images', SCHEMA);
    const row = db.prepare('SELECT MAX(seq) AS m FROM image_tags').get() as { m: number | null };
    this.#seq = row.m ?? 0;
  }

  /** Inserts or replaces an image and adds its references (tags, or name@digest repo digests), in one transaction. */
  put(record: ImageRecord, refs: readonly string[] = []): void {
    if (!isDigest(record.id)) throw new InvalidArgument(`invalid image ID ${JSON.stringify(record.id)}`);
    const keys = refs.map(refKey);
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO images (id, created, parent, data) VALUES (?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET created = excluded.created, parent = excluded.parent, data = excluded.data`,
        )
        .run(record.id, record.created, record.parent ?? null, JSON.stringify(record));
      for (const k of keys) this.#setRef(record.id, k.key, k.kind);
    })();
  }

  #setRef(id: Digest, key: string, kind: 'tag' | 'digest'): void {
    this.#db
      .prepare(
        `INSERT INTO image_tags (ref, image_id, kind, seq) VALUES (?, ?, ?, ?)
         ON CONFLICT(ref) DO UPDATE SET image_id = excluded.image_id, kind = excluded.kind, seq = excluded.seq`,
      )
      .run(key, id, kind, ++this.#seq);
  }

  get(id: Digest): ImageRecord | undefined {
    return parse(this.#db.prepare('SELECT data FROM images WHERE id = ?').get(id) as DataRow | undefined);
  }

  /** Images newest first. */
  list(): ImageRecord[] {
    const rows = this.#db.prepare('SELECT data FROM images ORDER BY created DESC, rowid DESC').all() as DataRow[];
    return rows.map((r) => JSON.parse(r.data) as ImageRecord);
  }

  /** The image a tag or name@digest reference names (name-only gets :latest). InvalidArgument if malformed. */
  byTag(ref: string): ImageRecord | undefined {
    const { key } = refKey(ref);
    return parse(
      this.#db.prepare('SELECT i.data FROM image_tags t JOIN images i ON i.id = t.image_id WHERE t.ref = ?').get(key) as DataRow | undefined,
    );
  }

  /**
   * Docker's lookup (daemon GetImage): a full ID (`sha256:<hex>` or `<hex>`), then a reference
   * (name, name:tag, name@digest), then a unique ID prefix (with or without `sha256:`).
   */
  resolve(nameOrId: string): ImageRecord {
    if (isDigest(nameOrId)) {
      const img = this.get(nameOrId);
      if (img) return img;
      throw new NotFound(`No such image: ${nameOrId}`);
    }
    if (/^[a-f0-9]{64}$/.test(nameOrId)) {
      const img = this.get(`sha256:${nameOrId}`);
      if (img) return img;
      throw new NotFound(`No such image: sha256:${nameOrId}`);
    }
    let refErr: unknown;
    try {
      const img = this.byTag(nameOrId);
      if (img) return img;
    } catch (e) {
      refErr = e;
    }
    const prefix = nameOrId.startsWith('sha256:') ? nameOrId.slice('sha256:'.length) : nameOrId;
    if (SHORT_ID_RE.test(prefix)) {
      const rows = this.#db.prepare("SELECT data FROM images WHERE id LIKE 'sha256:' || ? || '%' LIMIT 2").all(prefix) as DataRow[];
      if (rows.length > 1) throw new InvalidArgument(`multiple IDs found with provided prefix: ${prefix}`);
      const img = parse(rows[0]);
      if (img) return img;
    }
    if (refErr !== undefined) throw refErr;
    throw noSuchImage(nameOrId);
  }

  /** Points a tag at an image (moving it from any other image). */
  tag(id: Digest, ref: string): void {
    const k = refKey(ref);
    if (k.kind === 'digest') throw new InvalidArgument('refusing to create a tag with a digest reference');
    if (!this.get(id)) throw new NotFound(`No such image: ${id}`);
    this.#setRef(id, k.key, 'tag');
  }

  /** Records a repo digest (name@sha256:…) for an image, as after a pull or push. */
  addRepoDigest(id: Digest, ref: string): void {
    const k = refKey(ref);
    if (k.kind !== 'digest') throw new InvalidArgument(`not a digest reference: ${ref}`);
    if (!this.get(id)) throw new NotFound(`No such image: ${id}`);
    this.#setRef(id, k.key, 'digest');
  }

  /** Removes a tag or repo digest; returns the image it named. NotFound "No such image: X" if none. */
  untag(ref: string): Digest {
    const { key } = refKey(ref);
    const row = this.#db.prepare('SELECT image_id FROM image_tags WHERE ref = ?').get(key) as { image_id: Digest } | undefined;
    if (!row) throw noSuchImage(ref);
    this.#db.prepare('DELETE FROM image_tags WHERE ref = ?').run(key);
    return row.image_id;
  }

  /** Full tag references of an image, oldest first. */
  tagsOf(id: Digest): string[] {
    return this.#refsOf(id, 'tag');
  }

  /** Full name@digest references of an image, oldest first. */
  repoDigestsOf(id: Digest): string[] {
    return this.#refsOf(id, 'digest');
  }

  #refsOf(id: Digest, kind: 'tag' | 'digest'): string[] {
    const rows = this.#db.prepare('SELECT ref FROM image_tags WHERE image_id = ? AND kind = ? ORDER BY seq').all(id, kind) as { ref: string }[];
    return rows.map((r) => r.ref);
  }

  /** Images whose parent is `id` (Docker refuses to delete an image with children). */
  childrenOf(id: Digest): Digest[] {
    const rows = this.#db.prepare('SELECT id FROM images WHERE parent = ?').all(id) as { id: Digest }[];
    return rows.map((r) => r.id);
  }

  /** Deletes an image with its tags and repo digests. NotFound if absent; Conflict if it has children. */
  delete(id: Digest): void {
    if (!this.get(id)) throw new NotFound(`No such image: ${id}`);
    const children = this.childrenOf(id);
    if (children.length > 0) {
      throw new Conflict(`conflict: unable to delete ${id.slice(7, 19)} (cannot be forced) - image has dependent child images`);
    }
    this.#db.prepare('DELETE FROM images WHERE id = ?').run(id);
  }
}
