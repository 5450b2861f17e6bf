import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import { InvalidArgument, NotImplemented, Unavailable } from '../../errdefs/index.js';
import { UnixDatagram } from './unix-datagram.js';

const FACILITIES: Readonly<Record<string, number>> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

export type SyslogFormat = 'unix' | 'rfc3164' | 'rfc5424' | 'rfc5424micro';

export interface SyslogOptions {
  /** unix: a stream socket; unixgram: datagrams; local: no address given, /dev/log either way (as dockerd tries). */
  transport: 'udp' | 'tcp' | 'unix' | 'unixgram' | 'local';
  /** host:port, or a socket path. */
  host: string;
  port: number;
  path: string;
  facility: number;
  format: SyslogFormat;
}

/** Docker's syslog options: syslog-address (udp, tcp, unix, unixgram; TLS refused by name), syslog-facility, syslog-format. */
export function parseSyslogOptions(opts: Readonly<Record<string, string>>): SyslogOptions {
  for (const k of ['syslog-tls-ca-cert', 'syslog-tls-cert', 'syslog-tls-key', 'syslog-tls-skip-verify']) {
    if (opts[k] !== undefined) throw new NotImplemented(`log opt '${k}' is not supported by berth: its syslog driver sends over udp, tcp and unix sockets, without TLS`);
  }
  const facilityName = opts['syslog-facility'] ?? 'daemon';
  let facility = FACILITIES[facilityName];
  if (facility === undefined && /^\d+$/.test(facilityName) && Number(facilityName) <= 23) facility = Number(facilityName);
  if (facility === undefined) throw new InvalidArgument(`invalid syslog facility '${facilityName}'`);
  const fmt = opts['syslog-format'] ?? '';
  if (!['', 'rfc3164', 'rfc5424', 'rfc5424micro'].includes(fmt)) throw new InvalidArgument(`invalid syslog format '${fmt}': use rfc3164, rfc5424 or rfc5424micro`);
  const format: SyslogFormat = fmt === '' ? 'unix' : (fmt as SyslogFormat);
  const address = opts['syslog-address'];
  if (address === undefined) return { transport: 'local', host: '', port: 0, path: '/dev/log', facility, format };
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new InvalidArgument(`syslog-address should be in form proto://address, got '${address}'`);
  }
  const proto = url.protocol.replace(/:$/, '');
  if (proto === 'unix' || proto === 'unixgram') {
    if (!url.pathname) throw new InvalidArgument(`syslog-address ${address} has no socket path`);
    return { transport: proto, host: '', port: 0, path: url.pathname, facility, format };
  }
  if (proto === 'tcp+tls') throw new NotImplemented('syslog-address tcp+tls:// is not supported by berth: use unix://, unixgram://, udp:// or tcp://');
  if (proto !== 'udp' && proto !== 'tcp') throw new InvalidArgument(`unsupported syslog-address scheme '${proto}' in ${address}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new InvalidArgument(`syslog-address ${address} has no host`);
  return { transport: proto, host, port: url.port ? Number(url.port) : 514, path: '', facility, format };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** Go's time.Stamp, in local time: `Jan _2 15:04:05`. */
function stamp(t: Date): string {
  return `${MONTHS[t.getMonth()] ?? ''} ${String(t.getDate()).padStart(2, ' ')} ${p2(t.getHours())}:${p2(t.getMinutes())}:${p2(t.getSeconds())}`;
}

/** RFC 3339 in local time, with `digits` fraction digits (0: none), Go's Z07:00 zone. */
function rfc3339(t: Date, digits: number): string {
  const off = -t.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p2(Math.floor(Math.abs(off) / 60))}:${p2(Math.abs(off) % 60)}`;
  const frac = digits ? `.${String(t.getMilliseconds()).padStart(3, '0').padEnd(digits, '0')}` : '';
  return `${String(t.getFullYear())}-${p2(t.getMonth() + 1)}-${p2(t.getDate())}T${p2(t.getHours())}:${p2(t.getMinutes())}:${p2(t.getSeconds())}${frac}${zone}`;
}

/**
 * One syslog frame as dockerd's syslog driver writes it: severity info for stdout, err for stderr,
 * the tag as app name, berthd's pid, the line without its '\n', then a '\n' (the framing dockerd uses
 * for udp, tcp and unix alike).
 */
export function formatSyslog(format: SyslogFormat, o: { facility: number; stream: 'stdout' | 'stderr'; time: Date; tag: string; host: string; pid: number; text: string }): string {
  const pri = o.facility * 8 + (o.stream === 'stderr' ? 3 : 6);
  const msg = o.text.replace(/\n$/, '');
  switch (format) {
    case 'unix':
      return `<${pri}>${stamp(o.time)} ${o.tag}[${o.pid}]: ${msg}\n`;
    case 'rfc3164':
      return `<${pri}>${stamp(o.time)} ${o.host} ${o.tag}[${o.pid}]: ${msg}\n`;
    case 'rfc5424':
    case 'rfc5424micro':
      return `<${pri}>1 ${rfc3339(o.time, format === 'rfc5424' ? 0 : 6)} ${o.host} ${o.tag} ${o.pid} ${o.tag} - ${msg}\n`;
  }
}

/** A connection to a syslog collector; a broken stream connection is made again for the next line. */
export class SyslogSender {
  #tcp: Socket | null = null;
  #udp: UdpSocket | null = null;
  #gram: UnixDatagram | null = null;

  constructor(readonly o: SyslogOptions) {}

  /** Connects (as dockerd dials at start): a collector that is not there fails the start. */
  async open(): Promise<void> {
    if (this.o.transport === 'unixgram') {
      this.#gram = UnixDatagram.open(this.o.path, 'syslog');
      return;
    }
    if (this.o.transport === 'local') {
      // dockerd's local syslog: datagrams on /dev/log, else a stream there.
      try {
        this.#gram = UnixDatagram.open(this.o.path, 'syslog');
        return;
      } catch {
        this.#tcp = await this.#connect();
        return;
      }
    }
    if (this.o.transport === 'udp') {
      const sock = createSocket(this.o.host.includes(':') ? 'udp6' : 'udp4');
      sock.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.connect(this.o.port, this.o.host, () => {
          sock.off('error', reject);
          resolve();
        });
      }).catch((e: unknown) => {
        sock.close();
        throw new Unavailable(`failed to initialize logging driver: cannot reach syslog at udp://${this.o.host}:${String(this.o.port)}`, { cause: e });
      });
      sock.unref();
      this.#udp = sock;
      return;
    }
    this.#tcp = await this.#connect();
  }

  #where(): string {
    return this.o.path ? `unix://${this.o.path}` : `tcp://${this.o.host}:${String(this.o.port)}`;
  }

  #connect(): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const s = this.o.path ? connect({ path: this.o.path }) : connect({ host: this.o.host, port: this.o.port });
      s.once('error', (e) => reject(new Unavailable(`failed to initialize logging driver: cannot connect to syslog at ${this.#where()}`, { cause: e })));
      s.once('connect', () => {
        s.removeAllListeners('error');
        s.on('error', () => {
          if (this.#tcp === s) this.#tcp = null;
        });
        s.on('close', () => {
          if (this.#tcp === s) this.#tcp = null;
        });
        s.unref();
        resolve(s);
      });
    });
  }

  /** Sends one frame; resolves once the socket took it (the caller's back-pressure). */
  async send(frame: string): Promise<void> {
    if (this.#gram) {
      await this.#gram.send(Buffer.from(frame));
      return;
    }
    if (this.#udp) {
      const sock = this.#udp;
      await new Promise<void>((resolve) => sock.send(Buffer.from(frame), () => resolve()));
      return;
    }
    if (!this.#tcp) this.#tcp = await this.#connect();
    const s = this.#tcp;
    if (!s.write(frame)) await new Promise<void>((resolve) => {
      const done = (): void => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.once('drain', done);
      s.once('close', done);
    });
  }

  /** Ends the connection after what it holds is sent; `now`: at once, dropping that. */
  close(now = false): void {
    this.#gram?.close();
    this.#gram = null;
    this.#udp?.close();
    this.#udp = null;
    if (now) this.#tcp?.destroy();
    else this.#tcp?.end();
    this.#tcp = null;
  }
}

export const syslogHost = (): string => hostname();
