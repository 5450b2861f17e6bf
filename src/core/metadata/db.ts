import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { Unavailable } from '../../errdefs/index.js';

/** An open berth database. The stores take it in their constructors. */
export type Db = BetterSqlite3.Database;

export const DATABASE_FILE = 'berth.db';

/** The database path inside a data root. */
export function databasePath(dataRoot: string): string {
  return join(dataRoot, DATABASE_FILE);
}

/**
 * better-sqlite3's native addon, by path. Left to itself the package finds it with the `bindings`
 * package, which walks the call stack and tries a dozen candidate paths: that cannot work from a
 * bundle (the registry runs as one, see scripts/setup) and is wasted work everywhere else.
 */
const nativeBinding = (): string => createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');

/**
 * Opens (creating if needed) the SQLite database with WAL, foreign keys and a busy timeout, so that a
 * second reader (e.g. a test peeking at state) waits instead of failing.
 */
export function openDatabase(path: string): Db {
  mkdirSync(dirname(path), { recursive: true });
  let db: Db;
  try {
    db = new Database(path, { nativeBinding: nativeBinding() });
  } catch (e) {
    throw new Unavailable(`cannot open database ${path}: ${(e as Error).message}`, { cause: e });
  }
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode; only a power loss can drop the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * A tiny append-only migration helper: `statements` is the full history of a store's schema, and the
 * ones not applied yet run in one transaction. Never edit or reorder released statements; append.
 */
export function ensureSchema(db: Db, name: string, statements: readonly string[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const migrate = db.transaction(() => {
    const row = db.prepare('SELECT version FROM schema_versions WHERE name = ?').get(name) as { version: number } | undefined;
    const applied = row?.version ?? 0;
    if (applied > statements.length) {
      throw new Unavailable(`database schema "${name}" is at version ${applied}, newer than this berth (${statements.length})`);
    }
    for (const sql of statements.slice(applied)) db.exec(sql);
    db.prepare('INSERT INTO schema_versions (name, version) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version').run(
      name,
      statements.length,
    );
  });
  migrate.immediate();
}
