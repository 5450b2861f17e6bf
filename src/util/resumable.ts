import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Digest } from './digest.js';
import { nodeCrypto } from './crypto.js';
import { distPath } from './dist-path.js';

/**
 * berth's native helpers (src/native/resumable.cc, built by scripts/setup into dist/native/): a
 * SHA-256 and a gunzip whose state can be saved and restored, so that an interrupted pull continues
 * from where it stopped instead of reading back and hashing what it kept. Without them (a build
 * without a C++ compiler) everything still works: hashes cannot be saved, and a resumed pull reads
 * its kept bytes again.
 */
export interface NativeSha256 {
  update(data: Uint8Array): void;
  /** The digest of what was hashed so far; hashing can go on. */
  digest(): Buffer;
  save(): Buffer;
}

/** Status of NativeGunzip.write: what stopped it. */
export const GUNZIP_NEED_INPUT = 0;
export const GUNZIP_OUTPUT_FULL = 1;
export const GUNZIP_BOUNDARY = 2;

export interface NativeGunzip {
  /**
   * Decompresses input[inOff..] into output[outOff..] until the input is used up, the output is
   * full or (wantBoundary) a deflate block boundary is reached (then saved() is the state there).
   * result gets [input bytes used, output bytes made]. Throws on bad data (error codes Z_*).
   */
  write(input: Uint8Array, inOff: number, output: Uint8Array, outOff: number, wantBoundary: boolean, result: Float64Array): number;
  saved(): Buffer;
  /** Throws unless the input ended at the end of a gzip member. */
  finish(): void;
  /** [compressed bytes used, bytes made], counted from the start of the stream. */
  position(): [number, number];
}

export interface NativeResumable {
  Sha256: new (saved?: Uint8Array) => NativeSha256;
  Gunzip: new (saved?: Uint8Array) => NativeGunzip;
}

let loaded: NativeResumable | null | undefined;

/**
 * Where scripts/setup puts the addon: dist/native/, beside dist/src/ (this module is dist/src/util/)
 * and beside the bundles in dist/ (the pull worker's).
 */
export function nativeAddonPath(): string | null {
  const p = distPath('native/resumable.node');
  return existsSync(p) ? p : null;
}

/**
 * The addon, or null when it was not built or does not load here (another node's build): then the
 * pure-node paths run. BERTH_NO_NATIVE=1 also says null. Its unit test fails when it is missing.
 */
export function nativeResumable(): NativeResumable | null {
  if (loaded !== undefined) return loaded;
  const path = process.env.BERTH_NO_NATIVE === '1' ? null : nativeAddonPath();
  try {
    loaded = path ? (createRequire(import.meta.url)(path) as NativeResumable) : null;
  } catch {
    loaded = null;
  }
  return loaded;
}

/** A SHA-256 whose state save() returns when the addon is there (else null: it cannot be saved). */
export interface ResumableHash {
  update(data: Uint8Array): void;
  digest(): Digest;
  save(): Buffer | null;
}

/**
 * A SHA-256, continued from `saved` (a save() of an earlier one) when given. Throws when `saved` is
 * not a state the addon made.
 */
export function newResumableHash(saved?: Uint8Array): ResumableHash {
  const native = nativeResumable();
  if (native) {
    const h = new native.Sha256(saved);
    return { update: (d) => h.update(d), digest: () => `sha256:${h.digest().toString('hex')}`, save: () => h.save() };
  }
  if (saved) throw new Error('a saved sha256 state needs the native addon');
  const h = nodeCrypto().createHash('sha256');
  return { update: (d) => void h.update(d), digest: () => `sha256:${h.copy().digest('hex')}`, save: () => null };
}

let boot: Promise<string> | undefined;

/**
 * This boot's id ('' when unknown). Saved progress is trusted only within the boot that wrote it: a
 * kill -9 keeps written data in the page cache, a crash of the machine may lose it.
 */
export function bootId(): Promise<string> {
  return (boot ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (s) => s.trim(),
    () => '',
  ));
}
