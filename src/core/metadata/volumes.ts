import { Conflict, NotFound } from '../../errdefs/index.js';
import { ensureSchema, type Db } from './db.js';

/** A volume as berth keeps it; the data lives with the driver (local: <data-root>/volumes/<name>/_data). */
export interface VolumeRecord {
  name: string;
  driver: string;
  created: string; // RFC 3339
  labels: Record<string, string>;
  options: Record<string, string>;
}

/**
 * A mount of a container, as planned at create and kept with the container record: what `inspect`
 * shows under Mounts and what start turns into runtime mounts.
 */
export interface MountPoint {
  type: 'volume' | 'bind' | 'tmpfs';
  /** The volume's name (type volume only). */
  name?: string;
  /** Host path: the bind source, or the volume's data directory; '' for tmpfs. */
  source: string;
  destination: string;
  driver?: string;
  /** Docker's Mode column: the mode string of a -v spec ('ro', 'z', …), '' otherwise. */
  mode: string;
  rw: boolean;
  /** Bind propagation ('rprivate' by default for binds, '' for volumes and tmpfs). */
  propagation: string;
  /** A non-recursive bind (bind-nonrecursive=true). */
  nonRecursive?: boolean;
  /** A volume created for this container alone (-v /path, image VOLUME): `rm -v` removes it. */
  anonymous?: boolean;
  /** Fill an empty volume from the image's content at the destination on start (not volume-nocopy). */
  copyData?: boolean;
  /** A subdirectory of the volume to mount (volume-subpath). */
  subpath?: string;
  /** tmpfs mount options (size=…, mode=…, and flags). */
  options?: string[];
  /** Set by --mount (the Mounts API) rather than by Binds/Tmpfs/VolumesFrom; Docker rejects some mixes. */
  fromMountsApi?: boolean;
}

interface Row {
  name: string;
  driver: string;
  created: string;
  labels: string;
  options: string;
}

const SCHEMA = [
  `CREATE TABLE volumes (
    name TEXT PRIMARY KEY,
    driver TEXT NOT NULL,
    created TEXT NOT NULL,
    labels TEXT NOT NULL,
    options TEXT NOT NULL
  )`,
];

function fromRow(r: Row): VolumeRecord {
  return {
    name: r.name,
    driver: r.driver,
    created: r.created,
    labels: JSON.parse(r.labels) as Record<string, string>,
    options: JSON.parse(r.options) as Record<string, string>,
  };
}

/** Volume records in SQLite, one row per volume, keyed by name. */
export class VolumeStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
    ensureSchema(db, 'volumes', SCHEMA);
  }

  insert(v: VolumeRecord): void {
    try {
      this.#db
        .prepare('INSERT INTO volumes (name, driver, created, labels, options) VALUES (?, ?, ?, ?, ?)')
        .run(v.name, v.driver, v.created, JSON.stringify(v.labels), JSON.stringify(v.options));
    } catch (e) {
      if (e instanceof Error && /UNIQUE|PRIMARY/.test(e.message)) throw new Conflict(`volume ${v.name} already exists`, { cause: e });
      throw e;
    }
  }

  get(name: string): VolumeRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  resolve(name: string): VolumeRecord {
    const v = this.get(name);
    if (!v) throw new NotFound(`get ${name}: no such volume`);
    return v;
  }

  list(): VolumeRecord[] {
    return (this.#db.prepare('SELECT * FROM volumes ORDER BY name').all() as Row[]).map(fromRow);
  }

  delete(name: string): void {
    this.#db.prepare('DELETE FROM volumes WHERE name = ?').run(name);
  }
}
