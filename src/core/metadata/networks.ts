import type BetterSqlite3 from 'better-sqlite3';
import { Conflict, InvalidArgument, NotFound } from '../../errdefs/index.js';

/** A network: Docker's fields, camelCase; endpoints live on the container records. */
export interface NetworkRecord {
  id: string;
  name: string;
  created: string;
  driver: 'bridge' | 'host' | 'null';
  /** bridge, host and none are made by berthd and cannot be removed. */
  predefined: boolean;
  internal: boolean;
  attachable: boolean;
  enableIpv6: boolean;
  /** IPv4 only; absent for host and none. */
  ipam?: { subnet: string; gateway: string; ipRange?: string };
  /** The IPv6 subnet of an --ipv6 network (dual stack with `ipam`). */
  ipam6?: { subnet: string; gateway: string; ipRange?: string };
  /** The Linux bridge's name (berth0, br-<id12>, or -o com.docker.network.bridge.name). */
  bridge?: string;
  options: Record<string, string>;
  labels: Record<string, string>;
}

interface Row {
  data: string;
}

/** Network records in SQLite, one JSON document each, the name unique. */
export class NetworkStore {
  readonly #db: BetterSqlite3.Database;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS networks (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      data TEXT NOT NULL
    )`);
  }

  insert(rec: NetworkRecord): void {
    try {
      this.#db.prepare('INSERT INTO networks (id, name, data) VALUES (?, ?, ?)').run(rec.id, rec.name, JSON.stringify(rec));
    } catch (e) {
      if (e instanceof Error && /UNIQUE/.test(e.message)) throw new Conflict(`network with name ${rec.name} already exists`, { cause: e });
      throw e;
    }
  }

  update(rec: NetworkRecord): void {
    this.#db.prepare('UPDATE networks SET name = ?, data = ? WHERE id = ?').run(rec.name, JSON.stringify(rec), rec.id);
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM networks WHERE id = ?').run(id);
  }

  get(id: string): NetworkRecord | undefined {
    const row = this.#db.prepare('SELECT data FROM networks WHERE id = ?').get(id) as Row | undefined;
    return row ? (JSON.parse(row.data) as NetworkRecord) : undefined;
  }

  /** Docker's lookup order: full id, exact name, then a unique id prefix. */
  resolve(idOrName: string): NetworkRecord {
    const byId = this.get(idOrName);
    if (byId) return byId;
    const byName = this.#db.prepare('SELECT data FROM networks WHERE name = ?').get(idOrName) as Row | undefined;
    if (byName) return JSON.parse(byName.data) as NetworkRecord;
    if (/^[a-f0-9]+$/.test(idOrName)) {
      const rows = this.#db.prepare("SELECT data FROM networks WHERE id LIKE ? || '%' LIMIT 2").all(idOrName) as Row[];
      if (rows.length > 1) throw new InvalidArgument(`network ${idOrName} is ambiguous (${rows.length} matches found based on ID prefix)`);
      if (rows[0]) return JSON.parse(rows[0].data) as NetworkRecord;
    }
    throw new NotFound(`network ${idOrName} not found`);
  }

  list(): NetworkRecord[] {
    return (this.#db.prepare('SELECT data FROM networks ORDER BY rowid').all() as Row[]).map((r) => JSON.parse(r.data) as NetworkRecord);
  }
}
