import { timingSafeEqual } from 'node:crypto';
import { P_INIT, S_INIT } from './blowfish-constants.js';

/**
 * bcrypt verification ($2a$, $2b$, $2y$), for htpasswd files: Node has no bcrypt and no bcrypt npm
 * package is installed, so this is OpenBSD's eksblowfish, written from its reference code.
 */
const B64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HASH_RE = /^\$2([aby])\$(\d{2})\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

function decode64(s: string, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let o = 0;
  const v = (i: number): number => B64.indexOf(s[i] ?? '.');
  for (let i = 0; o < bytes; i += 4) {
    const c1 = v(i);
    const c2 = v(i + 1);
    out[o++] = ((c1 << 2) | ((c2 & 0x30) >> 4)) & 0xff;
    if (o >= bytes) break;
    const c3 = v(i + 2);
    out[o++] = (((c2 & 0x0f) << 4) | ((c3 & 0x3c) >> 2)) & 0xff;
    if (o >= bytes) break;
    const c4 = v(i + 3);
    out[o++] = (((c3 & 0x03) << 6) | c4) & 0xff;
  }
  return out;
}

function encode64(b: Buffer): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const c1 = b[i] as number;
    s += B64[c1 >> 2];
    let c = (c1 & 0x03) << 4;
    if (i + 1 >= b.length) {
      s += B64[c];
      break;
    }
    const c2 = b[i + 1] as number;
    s += B64[c | (c2 >> 4)];
    c = (c2 & 0x0f) << 2;
    if (i + 2 >= b.length) {
      s += B64[c];
      break;
    }
    const c3 = b[i + 2] as number;
    s += B64[c | (c3 >> 6)];
    s += B64[c3 & 0x3f];
  }
  return s;
}

class Blowfish {
  readonly p = Uint32Array.from(P_INIT);
  readonly s = Uint32Array.from(S_INIT);
  readonly #lr = new Uint32Array(2);

  #f(x: number): number {
    const s = this.s;
    return ((((s[x >>> 24] as number) + (s[256 + ((x >>> 16) & 0xff)] as number)) ^ (s[512 + ((x >>> 8) & 0xff)] as number)) + (s[768 + (x & 0xff)] as number)) >>> 0;
  }

  /** Enciphers lr[0], lr[1] in place. */
  encipher(lr: Uint32Array): void {
    const p = this.p;
    let l = (lr[0] as number) ^ (p[0] as number);
    let r = lr[1] as number;
    for (let i = 1; i <= 16; i += 2) {
      r ^= this.#f(l >>> 0) ^ (p[i] as number);
      l ^= this.#f(r >>> 0) ^ (p[i + 1] as number);
    }
    lr[0] = r ^ (p[17] as number);
    lr[1] = l;
  }

  /** Blowfish_expandstate (with data) or Blowfish_expand0state (data null). */
  expand(key: Buffer, data: Buffer | null): void {
    const p = this.p;
    const s = this.s;
    let j = 0;
    const word = (b: Buffer, pos: { j: number }): number => {
      let w = 0;
      for (let k = 0; k < 4; k++) {
        w = ((w << 8) | (b[pos.j] as number)) >>> 0;
        pos.j = (pos.j + 1) % b.length;
      }
      return w;
    };
    const kp = { j };
    for (let i = 0; i < 18; i++) p[i] = ((p[i] as number) ^ word(key, kp)) >>> 0;
    j = 0;
    const dp = { j };
    const lr = this.#lr;
    lr[0] = 0;
    lr[1] = 0;
    const step = (arr: Uint32Array, i: number): void => {
      if (data) {
        lr[0] = (lr[0] as number) ^ word(data, dp);
        lr[1] = (lr[1] as number) ^ word(data, dp);
      }
      this.encipher(lr);
      arr[i] = lr[0] as number;
      arr[i + 1] = lr[1] as number;
    };
    for (let i = 0; i < 18; i += 2) step(p, i);
    for (let i = 0; i < 1024; i += 2) step(s, i);
  }
}

/** The full `$2b$cost$salthash` string for `password` with the salt and cost of `setting`. */
export function bcryptHash(password: string, setting: string): string | null {
  const m = HASH_RE.exec(setting.length === 29 ? setting + '.'.repeat(31) : setting);
  if (!m) return null;
  const cost = Number(m[2]);
  if (cost < 4 || cost > 31) return null;
  const salt = decode64(m[3] as string, 16);
  const key = Buffer.concat([Buffer.from(password, 'utf8').subarray(0, 72), Buffer.from([0])]).subarray(0, 72);
  const bf = new Blowfish();
  bf.expand(key, salt);
  const rounds = 2 ** cost;
  for (let i = 0; i < rounds; i++) {
    bf.expand(key, null);
    bf.expand(salt, null);
  }
  const text = Buffer.from('OrpheanBeholderScryDoubt', 'latin1');
  const words = new Uint32Array(6);
  for (let i = 0; i < 6; i++) words[i] = text.readUInt32BE(i * 4);
  const lr = new Uint32Array(2);
  for (let i = 0; i < 64; i++) {
    for (let b = 0; b < 6; b += 2) {
      lr[0] = words[b] as number;
      lr[1] = words[b + 1] as number;
      bf.encipher(lr);
      words[b] = lr[0];
      words[b + 1] = lr[1];
    }
  }
  const out = Buffer.alloc(24);
  for (let i = 0; i < 6; i++) out.writeUInt32BE(words[i] as number, i * 4);
  return `$2${m[1] as string}$${m[2] as string}$${encode64(salt).slice(0, 22)}${encode64(out.subarray(0, 23))}`;
}

/** Does `password` match the bcrypt `hash`? Constant-time on the comparison. */
export function bcryptVerify(password: string, hash: string): boolean {
  if (!HASH_RE.test(hash)) return false;
  const computed = bcryptHash(password, hash);
  if (computed === null) return false;
  const a = Buffer.from(computed);
  const b = Buffer.from(hash);
  return a.length === b.length && timingSafeEqual(a, b);
}
