import type { Readable } from 'node:stream';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarHeader {
  /**
   * The entry's path as in the archive, with leading './' and '/' stripped and directories without a
   * trailing '/'. The archive root ('.' or './') becomes '' — callers that walk a tree usually skip it.
   * '..' components are kept as they are: confinement is the extractor's job (core/diff).
   */
  name: string;
  type: TarEntryType;
  /** Body size in bytes; 0 for everything but files. */
  size: number;
  /** Permission bits incl. setuid/setgid/sticky (07777), no file-type bits. */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  mtime: Date;
  /** Symlink target (verbatim), or hardlink target name (normalized like `name`). */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** From PAX 'SCHILY.xattr.*' records; values are raw bytes. */
  xattrs?: Record<string, Buffer>;
}

export interface TarEntry {
  header: TarHeader;
  /** Must be consumed, or it is drained automatically when the iterator advances. */
  body: Readable;
  /**
   * Where the entry's first header block (PAX and long-name records included) starts in the archive;
   * -1 for the entry a read that starts mid-archive (TarStart) picks up inside.
   */
  headerOffset: number;
  /** Where the body starts in the archive, and where the entry (padding included) ends. */
  dataOffset: number;
  endOffset: number;
  /**
   * How many bytes of the body come before `body`'s first byte: 0, except for the entry a read that
   * starts mid-archive (TarStart) picks up inside.
   */
  bodyFrom: number;
}

/**
 * Where a read of an archive whose first bytes are missing picks up: the source's first byte is the
 * archive's byte `offset`, which is either the start of an entry's header blocks or inside `entry`'s
 * body or padding.
 */
export interface TarStart {
  offset: number;
  entry?: { header: TarHeader; dataOffset: number };
}
