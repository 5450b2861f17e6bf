import { Readable } from 'node:stream';
import { Internal, InvalidArgument } from '../../errdefs/index.js';
import { BLOCK, encodeHeader, fitsOctal, padding, splitUstarName } from './header.js';
import { encodePax, type PaxRecords } from './pax.js';
import type { TarEntryType, TarHeader } from './types.js';

const FLAGS: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  directory: '5',
  fifo: '6',
};

 
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Writes a tar stream: POSIX ustar, with a PAX extended header only where ustar cannot hold the
 * entry (long or non-ASCII names, big sizes or ids, xattrs). Calls to add() are serialized.
 * add() waits while the reader lags (backpressure), so read `stream` concurrently — e.g. start
 * `pipeline(w.stream, out)` before the first add() — or the writer stalls.
 */
export class TarWriter {
  readonly stream: Readable;
  private resume: (() => void) | null = null;
  private canPush = true;
  private closed: Error | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor() {
    this.stream = new Readable({
      highWaterMark: 256 * 1024,
      read: () => {
        this.canPush = true;
        this.wake();
      },
    });
    this.stream.on('close', () => {
      this.closed ??= new Internal('tar stream closed before the archive was written');
      this.wake();
    });
  }

  private wake(): void {
    const r = this.resume;
    this.resume = null;
    r?.();
  }

  private async push(chunk: Buffer): Promise<void> {
    if (this.closed) throw this.closed;
    if (!this.stream.push(chunk)) this.canPush = false;
    // Wait here rather than before the next push, so add() resolves only once the reader keeps up.
    while (!this.canPush && !this.closed) await new Promise<void>((res) => (this.resume = res));
    if (this.closed) throw this.closed;
  }

  add(header: TarHeader, body?: Readable | Buffer): Promise<void> {
    const p = this.chain.then(() => this.write(header, body));
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async write(h: TarHeader, body?: Readable | Buffer): Promise<void> {
    const size = h.type === 'file' ? h.size : 0;
    const pax: PaxRecords = new Map();
    const nameStr = h.type === 'directory' && h.name !== '' ? `${h.name}/` : h.name === '' ? './' : h.name;
    const name = Buffer.from(nameStr, 'utf8');
    let split = splitUstarName(name);
    if (!split || NON_ASCII.test(nameStr)) {
      pax.set('path', name);
      split = { prefix: Buffer.alloc(0), name: name.subarray(0, 100) };
    }
    let link = Buffer.alloc(0);
    if (h.linkname !== undefined) {
      link = Buffer.from(h.linkname, 'utf8');
      if (link.length > 100 || NON_ASCII.test(h.linkname)) pax.set('linkpath', link);
    }
    const mtime = Math.floor(h.mtime.getTime() / 1000);
    if (!fitsOctal(size, 12)) pax.set('size', Buffer.from(String(size)));
    if (!fitsOctal(h.uid, 8)) pax.set('uid', Buffer.from(String(h.uid)));
    if (!fitsOctal(h.gid, 8)) pax.set('gid', Buffer.from(String(h.gid)));
    if (!fitsOctal(mtime, 12)) pax.set('mtime', Buffer.from(String(mtime)));
    const uname = h.uname ?? '';
    const gname = h.gname ?? '';
    if (Buffer.byteLength(uname) > 31 || NON_ASCII.test(uname)) pax.set('uname', Buffer.from(uname));
    if (Buffer.byteLength(gname) > 31 || NON_ASCII.test(gname)) pax.set('gname', Buffer.from(gname));
    for (const [k, v] of Object.entries(h.xattrs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      pax.set(`SCHILY.xattr.${k}`, v);
    }

    if (pax.size > 0) {
      const data = encodePax(pax);
      const paxName = Buffer.from(`PaxHeaders.0/${split.name.toString('utf8')}`.slice(0, 100));
      await this.push(
        encodeHeader({
          ...common(h, 0, mtime),
          name: paxName,
          prefix: Buffer.alloc(0),
          typeflag: 'x',
          size: data.length,
          linkname: Buffer.alloc(0),
        }),
      );
      await this.push(Buffer.concat([data, Buffer.alloc(padding(data.length))]));
    }
    await this.push(
      encodeHeader({
        ...common(h, size, mtime),
        name: split.name,
        prefix: split.prefix,
        typeflag: FLAGS[h.type],
        linkname: link.subarray(0, 100),
      }),
    );
    if (size === 0) return;
    if (!body) throw new InvalidArgument(`tar entry ${JSON.stringify(h.name)} has size ${size} but no body`);
    let written = 0;
    if (Buffer.isBuffer(body)) {
      written = body.length;
      if (written === size) await this.push(body);
    } else {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        written += chunk.length;
        if (written > size) break;
        await this.push(chunk);
      }
    }
    if (written !== size) {
      throw new InvalidArgument(`tar entry ${JSON.stringify(h.name)}: body has a different length than its header size ${size}`);
    }
    const pad = padding(size);
    if (pad > 0) await this.push(Buffer.alloc(pad));
  }

  /** Writes the end-of-archive marker and ends the stream. */
  async finish(): Promise<void> {
    await this.chain;
    await this.push(Buffer.alloc(BLOCK * 2));
    this.stream.push(null);
  }

  /** Ends the stream with an error (e.g. the producer failed). */
  abort(err: Error): void {
    this.closed ??= err;
    this.stream.destroy(err);
  }
}

function common(h: TarHeader, size: number, mtime: number) {
  return {
    mode: h.mode & 0o7777,
    uid: fitsOctal(h.uid, 8) ? h.uid : 0,
    gid: fitsOctal(h.gid, 8) ? h.gid : 0,
    size,
    mtime: fitsOctal(mtime, 12) ? mtime : 0,
    uname: Buffer.byteLength(h.uname ?? '') > 31 ? '' : (h.uname ?? ''),
    gname: Buffer.byteLength(h.gname ?? '') > 31 ? '' : (h.gname ?? ''),
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
  };
}
