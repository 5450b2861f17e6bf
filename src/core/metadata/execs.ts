import type BetterSqlite3 from 'better-sqlite3';
import { ensureSchema } from './db.js';

export interface ExecConfig {
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  privileged: boolean;
  detachKeys: string;
  consoleSize: { height: number; width: number } | null;
}

/** An exec instance's life: created → running → exited (Docker keeps exited ones for inspect). */
export type ExecStatus = 'created' | 'running' | 'exited';

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  status: ExecStatus;
  exitCode: number | null;
  pid: number;
  /** The process's start time (/proc/<pid>/stat), so a recycled pid is not taken for it after a restart. */
  pidStart?: string;
  createdAt: Date;
  exitedAt?: Date;
}

const SCHEMA = [
  `CREATE TABLE execs (
    id TEXT PRIMARY KEY,
    container_id TEXT NOT NULL,
    data TEXT NOT NULL
  )`,
  'CREATE INDEX execs_container ON execs (container_id)',
];

/** Exec instances in SQLite, so that they outlive a berthd restart as their processes do. */
export class ExecStore {
  readonly #db: BetterSqlite3.Database;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    ensureSchema(db, 'execs', SCHEMA);
  }

  put(rec: ExecRecord): void {
    this.#db
      .prepare('INSERT INTO execs (id, container_id, data) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data')
      .run(rec.id, rec.containerId, JSON.stringify(rec));
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM execs WHERE id = ?').run(id);
  }

  deleteOfContainer(containerId: string): void {
    this.#db.prepare('DELETE FROM execs WHERE container_id = ?').run(containerId);
  }

  list(): ExecRecord[] {
    const rows = this.#db.prepare('SELECT data FROM execs ORDER BY rowid').all() as { data: string }[];
    return rows.map((r) => {
      const j = JSON.parse(r.data) as ExecRecord & { createdAt: string; exitedAt?: string };
      const { exitedAt, ...rest } = j;
      return { ...rest, createdAt: new Date(j.createdAt), ...(exitedAt ? { exitedAt: new Date(exitedAt) } : {}) };
    });
  }
}
