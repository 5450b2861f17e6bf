import { InvalidArgument } from '../../errdefs/index.js';

/** PAX records keyed by name; values stay raw bytes because xattr values are binary. */
export type PaxRecords = Map<string, Buffer>;

export function parsePax(data: Buffer): PaxRecords {
  const out: PaxRecords = new Map();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the record block with NULs
    const sp = data.indexOf(0x20, pos);
    if (sp === -1) throw new InvalidArgument('invalid tar header: malformed PAX record');
    const lenStr = data.subarray(pos, sp).toString('latin1');
    const len = /^[0-9]+$/.test(lenStr) ? parseInt(lenStr, 10) : NaN;
    if (!Number.isSafeInteger(len) || len <= sp - pos + 1 || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw new InvalidArgument('invalid tar header: malformed PAX record');
    }
    const rec = data.subarray(sp + 1, pos + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new InvalidArgument('invalid tar header: malformed PAX record');
    out.set(rec.subarray(0, eq).toString('utf8'), Buffer.from(rec.subarray(eq + 1)));
    pos += len;
  }
  return out;
}

function record(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  // The length prefix counts its own digits, so grow it until it is stable.
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'latin1'), body]);
}

export function encodePax(records: PaxRecords): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of records) parts.push(record(k, v));
  return Buffer.concat(parts);
}

/** PAX decimal numbers; mtime may carry a fraction. */
export function paxNumber(v: Buffer, key: string): number {
  const s = v.toString('latin1');
  if (!/^-?[0-9]+(\.[0-9]*)?$/.test(s)) throw new InvalidArgument(`invalid tar header: bad PAX ${key} ${JSON.stringify(s)}`);
  return Number(s);
}
