import type BetterSqlite3 from 'better-sqlite3';
import type { IdMapping } from '../../util/index.js';
import { Conflict, InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { MountPoint } from './volumes.js';
import type { ContainerSpec, PortBinding } from './container-spec.js';

export type * from './container-spec.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface HealthLogEntry {
  start: string;
  end: string;
  exitCode: number;
  output: string;
}

export interface HealthState {
  status: 'starting' | 'healthy' | 'unhealthy' | 'none';
  failingStreak: number;
  log: HealthLogEntry[];
}

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  oomKilled: boolean;
  error: string;
  startedAt: string; // RFC 3339; '0001-01-01T00:00:00Z' when never
  finishedAt: string;
  /** While a healthcheck runs: its status, failures in a row and the last results. */
  health?: HealthState;
  /** Set with status 'removing': the removal also takes the anonymous volumes (rm -v). */
  removeVolumes?: boolean;
}

export interface ContainerRecord {
  id: string;
  name: string; // without the leading '/'
  created: string;
  imageId: string;
  /** Everything the create decided: the process, mounts, limits, security, namespaces, networking, logging, lifecycle, labels. */
  spec: ContainerSpec;
  /**
   * What a front end keeps to show the request back in its own spelling (the Docker dialect: the
   * option strings it cannot rebuild from the spec, and the attach flags, which change nothing).
   * Opaque below server/: nothing there reads it.
   */
  views?: Record<string, Record<string, unknown>>;
  state: ContainerState;
  restartCount: number;
  /** Set by stop (and cleared by start): a manually stopped container is not restarted by its policy. */
  manuallyStopped?: boolean;
  /** chain IDs of the image layers, bottom to top, for the rootfs. */
  layers: string[];
  driver: string;
  /** Volumes, binds and tmpfs mounts planned at create (absent on records made before volumes existed). */
  mounts?: MountPoint[];
  /**
   * The daemon's default cgroup parent (--cgroup-parent, daemon.json `cgroup-parent`) where the spec
   * named none, fixed at create so a berthd restarted with another default finds the cgroups it made.
   */
  cgroupParent?: string;
  /** The user namespace it runs in (daemon --userns-remap, not --userns=host); its storage is the shifted copy for this mapping. */
  idMap?: IdMapping;
  /** The container's endpoints by network name: what was asked (aliases, static IP) and, while it runs, what it got. */
  networks?: Record<string, EndpointRecord>;
  /** The network namespace berthd made for this run (bridge networks); removed when the container stops. */
  netns?: string;
  /**
   * The front end's namespace of the store (the CRI's `k8s.io`); absent: Docker's, the one the
   * Engine API sees. A container of another namespace is invisible to the Engine API.
   */
  namespace?: string;
  /** The pod sandbox it runs in (CRI containers). */
  pod?: string;
  /** Published ports as bound for this run ("80/tcp" → host addresses), random ports resolved. */
  ports?: Record<string, PortBinding[]>;
}

/** One container's endpoint on one network. */
export interface EndpointRecord {
  networkId: string;
  aliases: string[];
  /** --link on a user network: `alias` resolves to container `name` for this container only. */
  links?: { name: string; alias: string }[];
  /** --ip / IPAMConfig.IPv4Address */
  requestedIp?: string;
  /** --ip6 / IPAMConfig.IPv6Address */
  requestedIp6?: string;
  /** --link-local-ip / IPAMConfig.LinkLocalIPs */
  linkLocalIps?: string[];
  /** --mac-address */
  requestedMac?: string;
  /** Set while the container runs. */
  endpointId?: string;
  ifname?: string;
  ip?: string;
  prefixLen?: number;
  gateway?: string;
  mac?: string;
  /** The IPv6 address of an endpoint on an --ipv6 network, while the container runs. */
  ip6?: string;
  prefixLen6?: number;
  gateway6?: string;
}

interface Row {
  data: string;
}

/** Container records in SQLite: one JSON document per container, the name unique. */
export class ContainerStore {
  readonly #db: BetterSqlite3.Database;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS containers (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      image_id TEXT NOT NULL,
      created TEXT NOT NULL,
      data TEXT NOT NULL
    )`);
  }

  /**
   * Rewrites the records an older berth wrote with `convert`, all in one transaction; returns how
   * many changed. Older records are those with no `spec` (a `hostConfig` held the Docker request)
   * or with a `config` beside it (the process side, argv as `path`/`args`, before the spec held it).
   * The conversion is a front end's (it knows the old request's words): the composition root passes
   * it in at start.
   */
  migrateLegacy(convert: (legacy: Record<string, unknown>) => ContainerRecord): number {
    const rows = this.#db.prepare('SELECT id, data FROM containers').all() as { id: string; data: string }[];
    const old = rows
      .map((r) => ({ id: r.id, rec: JSON.parse(r.data) as Record<string, unknown> }))
      .filter((r) => r.rec['spec'] === undefined || r.rec['config'] !== undefined);
    if (!old.length) return 0;
    const write = this.#db.prepare('UPDATE containers SET data = ? WHERE id = ?');
    this.#db.transaction(() => {
      for (const r of old) write.run(JSON.stringify(convert(r.rec)), r.id);
    })();
    return old.length;
  }

  insert(rec: ContainerRecord): void {
    try {
      this.#db
        .prepare('INSERT INTO containers (id, name, image_id, created, data) VALUES (?, ?, ?, ?, ?)')
        .run(rec.id, rec.name, rec.imageId, rec.created, JSON.stringify(rec));
    } catch (e) {
      if (e instanceof Error && /UNIQUE/.test(e.message)) {
        const other = this.#byName(rec.name);
        throw new Conflict(
          `Conflict. The container name "/${rec.name}" is already in use by container "${other?.id ?? ''}". You have to remove (or rename) that container to be able to reuse that name.`,
          { cause: e },
        );
      }
      throw e;
    }
  }

  /** Writes a changed record; the name column follows the record (rename). */
  update(rec: ContainerRecord): void {
    this.#db.prepare('UPDATE containers SET name = ?, data = ? WHERE id = ?').run(rec.name, JSON.stringify(rec), rec.id);
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM containers WHERE id = ?').run(id);
  }

  get(id: string): ContainerRecord | undefined {
    const row = this.#db.prepare('SELECT data FROM containers WHERE id = ?').get(id) as Row | undefined;
    return row ? (JSON.parse(row.data) as ContainerRecord) : undefined;
  }

  #byName(name: string): ContainerRecord | undefined {
    const row = this.#db.prepare('SELECT data FROM containers WHERE name = ?').get(name) as Row | undefined;
    return row ? (JSON.parse(row.data) as ContainerRecord) : undefined;
  }

  /** Docker's lookup order: full id, exact name (with or without '/'), then a unique id prefix. */
  resolve(idOrName: string): ContainerRecord {
    const key = idOrName.startsWith('/') ? idOrName.slice(1) : idOrName;
    const exact = this.get(key) ?? this.#byName(key);
    if (exact) return exact;
    if (/^[a-f0-9]+$/.test(key)) {
      const rows = this.#db.prepare("SELECT data FROM containers WHERE id LIKE ? || '%' LIMIT 2").all(key) as Row[];
      if (rows.length > 1) throw new InvalidArgument(`multiple IDs found with provided prefix: ${key}`);
      if (rows[0]) return JSON.parse(rows[0].data) as ContainerRecord;
    }
    throw new NotFound(`No such container: ${idOrName}`);
  }

  list(): ContainerRecord[] {
    const rows = this.#db.prepare('SELECT data FROM containers ORDER BY created DESC, rowid DESC').all() as Row[];
    return rows.map((r) => JSON.parse(r.data) as ContainerRecord);
  }

  usingImage(imageId: string): ContainerRecord[] {
    const rows = this.#db.prepare('SELECT data FROM containers WHERE image_id = ?').all(imageId) as Row[];
    return rows.map((r) => JSON.parse(r.data) as ContainerRecord);
  }
}
