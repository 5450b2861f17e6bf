import { parseIp6 } from './cidr6.js';

/** The few DNS message parts berth's embedded resolver needs (RFC 1035), without a dependency. */

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;

export interface DnsQuestion {
  id: number;
  /** Flags of the query (recursion desired is echoed). */
  flags: number;
  name: string;
  type: number;
  klass: number;
  /** Byte length of header + first question: the part a response repeats. */
  questionEnd: number;
}

/** Parses the header and first question; undefined for anything malformed or not a query. */
export function parseQuery(buf: Buffer): DnsQuestion | undefined {
  if (buf.length < 12) return undefined;
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) return undefined;
  if (buf.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    const len = buf[off];
    if (len === undefined) return undefined;
    off += 1;
    if (len === 0) break;
    if (len > 63 || off + len > buf.length) return undefined;
    labels.push(buf.subarray(off, off + len).toString('latin1'));
    off += len;
  }
  if (off + 4 > buf.length) return undefined;
  return { id: buf.readUInt16BE(0), flags, name: labels.join('.'), type: buf.readUInt16BE(off), klass: buf.readUInt16BE(off + 2), questionEnd: off + 4 };
}

/** A response repeating the question, with A records (IPv4 strings) or AAAA records (IPv6 strings) as answers. */
export function buildResponse(query: Buffer, q: DnsQuestion, answers: string[], rcode = 0, ttl = 600): Buffer {
  const head = Buffer.from(query.subarray(0, q.questionEnd));
  // QR, opcode copied, AA, RD copied, RA.
  head.writeUInt16BE(0x8000 | (q.flags & 0x7900) | 0x0400 | 0x0080 | rcode, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(answers.length, 6);
  head.writeUInt16BE(0, 8);
  head.writeUInt16BE(0, 10);
  const records = answers.map((ip) => {
    const v6 = parseIp6(ip);
    const rdata = v6 === undefined ? Buffer.from(ip.split('.').map(Number)) : Buffer.from(v6.toString(16).padStart(32, '0'), 'hex');
    const rr = Buffer.alloc(12 + rdata.length);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    rr.writeUInt16BE(v6 === undefined ? TYPE_A : TYPE_AAAA, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(rdata.length, 10);
    rdata.copy(rr, 12);
    return rr;
  });
  return Buffer.concat([head, ...records]);
}
