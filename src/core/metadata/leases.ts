import { randomBytes } from 'node:crypto';
import type { Db } from './db.js';
import { ensureSchema } from './db.js';

/** What a lease keeps from garbage collection: a blob by digest, or a layer snapshot by chain ID. */
export type LeaseKind = 'blob' | 'layer';

export interface LeasedRef {
  kind: LeaseKind;
  ref: string;
}

/**
 * Leases (containerd's idea): an operation that assembles content (pull, load, import, commit, build)
 * holds one, and what it names cannot be collected by rmi or prune until it is released. They live in
 * SQLite, so that what a killed berthd was assembling stays protected until the lease expires, and is
 * collected at the next start after that (pulls keep theirs a day, for a retry to resume).
 */
export class LeaseStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
    ensureSchema(db, 'leases', [
      'CREATE TABLE leases (id TEXT PRIMARY KEY, expires INTEGER NOT NULL)',
      `CREATE TABLE lease_refs (lease TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE, kind TEXT NOT NULL, ref TEXT NOT NULL,
        PRIMARY KEY (lease, kind, ref))`,
      'CREATE INDEX lease_refs_by_ref ON lease_refs (kind, ref)',
    ]);
  }

  create(ttlMs: number, now = Date.now()): string {
    const id = randomBytes(12).toString('hex');
    this.#db.prepare('INSERT INTO leases (id, expires) VALUES (?, ?)').run(id, now + ttlMs);
    return id;
  }

  add(id: string, kind: LeaseKind, ref: string): void {
    this.#db.prepare('INSERT OR IGNORE INTO lease_refs (lease, kind, ref) VALUES (?, ?, ?)').run(id, kind, ref);
  }

  refsOf(id: string): LeasedRef[] {
    return this.#db.prepare('SELECT kind, ref FROM lease_refs WHERE lease = ?').all(id) as LeasedRef[];
  }

  release(id: string): void {
    this.#db.prepare('DELETE FROM leases WHERE id = ?').run(id);
  }

  /** Everything of this kind that some lease (expired or not, until expire() ends it) holds. */
  held(kind: LeaseKind): Set<string> {
    const rows = this.#db.prepare('SELECT DISTINCT ref FROM lease_refs WHERE kind = ?').all(kind) as { ref: string }[];
    return new Set(rows.map((r) => r.ref));
  }

  /** Ends the leases expired by `now`, returning what they held (for the caller to collect). */
  expire(now = Date.now()): LeasedRef[] {
    const end = this.#db.transaction(() => {
      const refs = this.#db.prepare('SELECT DISTINCT r.kind, r.ref FROM lease_refs r JOIN leases l ON l.id = r.lease WHERE l.expires <= ?').all(now) as LeasedRef[];
      this.#db.prepare('DELETE FROM leases WHERE expires <= ?').run(now);
      return refs;
    });
    return end.immediate();
  }

  count(): number {
    return (this.#db.prepare('SELECT COUNT(*) AS n FROM leases').get() as { n: number }).n;
  }
}
