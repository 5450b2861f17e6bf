import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { JsonLogWriter, lastJsonLogEntries, readJournal, readJsonLog } from '../../core/runtime/index.js';
import type { LogEntry } from '../../core/runtime/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { NotImplemented } from '../../errdefs/index.js';
import { fileRotation, JOURNAL_SOCKET, logBufferLimit } from './log-drivers.js';
import { journalContainerFields, journalLine } from './journald.js';
import { UnixDatagram } from './unix-datagram.js';
import { logAttrs, logInfoOf, renderLogTag } from './log-tag.js';
import type { LogReadOptions } from './ports.js';
import { formatSyslog, parseSyslogOptions, SyslogSender, syslogHost } from './syslog.js';

/**
 * Log drivers, berthd's side. conmon keeps capturing a container's output into its k8s-file log
 * (attach and the build read it there, and it keeps the container from ever waiting on berthd);
 * for a driver other than k8s-file and none, berthd follows that log while the container runs and
 * hands each line to the driver: Docker's json-file, berth's local file, a syslog collector.
 */
interface LogSink {
  write(e: LogEntry): void | Promise<void>;
  /** `now`: a destination that stopped taking lines is dropped, with what it holds. */
  close(now?: boolean): void;
}

/** Where a driver keeps the file `docker logs` reads: Docker's names (json-file: `<id>-json.log`; local: `local-logs/container.log`). */
export function driverLogPath(rec: ContainerRecord, dir: string): string | null {
  if (rec.spec.logging.driver === 'json-file') return join(dir, `${rec.id}-json.log`);
  if (rec.spec.logging.driver === 'local') return join(dir, 'local-logs', 'container.log');
  return null;
}

/** Creates the driver's file at create: `logs -f` right after follows it; its absence marks a container made before drivers had files. */
export async function prepareDriverLog(rec: ContainerRecord, dir: string): Promise<void> {
  const path = driverLogPath(rec, dir);
  if (!path) return;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, '', { flag: 'a' });
}

/** inspect's LogPath, as dockerd sets it: json-file's file (berth's k8s-file: conmon's), '' for the others. */
export function inspectLogPath(rec: ContainerRecord, dir: string, conmonLog: string): string {
  if (rec.spec.logging.driver === 'k8s-file') return conmonLog;
  return rec.spec.logging.driver === 'json-file' ? (driverLogPath(rec, dir) ?? '') : '';
}

/** What `docker logs` reads for a driver that reads back (the caller checked that). */
export function readDriverLog(rec: ContainerRecord, dir: string, opts: LogReadOptions, readConmon: (o: LogReadOptions) => AsyncIterable<LogEntry>): AsyncIterable<LogEntry> {
  if (rec.spec.logging.driver === 'journald') return readJournal(rec.id, opts);
  const path = driverLogPath(rec, dir);
  // A container made before berth wrote json-file and local files keeps its log in conmon's file.
  return path && existsSync(path) ? readJsonLog(path, opts) : readConmon(opts);
}

/** The drivers berthd feeds (k8s-file is conmon's own log; none keeps nothing). */
export function isForwarded(driver: string): boolean {
  return driver !== 'k8s-file' && driver !== 'none';
}

async function openSink(rec: ContainerRecord, dir: string, note: (e: unknown) => void): Promise<LogSink> {
  const opts = rec.spec.logging.options ?? {};
  const info = logInfoOf(rec);
  const driver = rec.spec.logging.driver;
  if (driver === 'json-file' || driver === 'local') {
    const path = driverLogPath(rec, dir) as string;
    mkdirSync(dirname(path), { recursive: true });
    const attrs = driver === 'json-file' ? logAttrs(opts, info) : {};
    if (driver === 'json-file' && opts['tag'] !== undefined) attrs['tag'] = renderLogTag(opts['tag'], info);
    const w = new JsonLogWriter(path, fileRotation(driver, opts), attrs);
    // A line the disk has no room for is lost, not the driver: the lines after space comes back are written.
    let lost = 0;
    return {
      write: (e) => {
        try {
          w.write(e);
          if (lost) note(new Error(`${String(lost)} log lines were lost while the disk was full`));
          lost = 0;
        } catch (err) {
          if (!lost++) note(err);
        }
      },
      close: () => w.close(),
    };
  }
  if (driver === 'syslog') {
    const o = parseSyslogOptions(opts);
    const sender = new SyslogSender(o);
    await sender.open();
    const tag = renderLogTag(opts['tag'], info);
    const host = syslogHost();
    return {
      write: (e) => sender.send(formatSyslog(o.format, { facility: o.facility, stream: e.stream, time: e.time, tag, host, pid: process.pid, text: e.line.toString('utf8') })),
      close: (now) => sender.close(now),
    };
  }
  if (driver === 'journald') {
    // create lets journald through only where the journal socket exists.
    const sock = UnixDatagram.open(JOURNAL_SOCKET, 'the systemd journal');
    const fields = journalContainerFields(info, renderLogTag(opts['tag'], info), logAttrs(opts, info));
    return {
      write: async (e) => void (await sock.send(journalLine(fields, { stream: e.stream, time: e.time, text: e.line.toString('utf8') }))),
      close: () => sock.close(),
    };
  }
  throw new NotImplemented(`logging driver ${driver} cannot be started by berth`);
}

interface Active {
  stop: () => void;
  abort: () => void;
  done: Promise<void>;
}

/** How long an exit waits for a driver to take the last lines (a collector that stopped reading). */
const DRAIN_LIMIT_MS = 5000;

export class LogForwarders {
  readonly #active = new Map<string, Active>();

  constructor(private readonly log: (what: string, e: unknown) => void) {}

  /**
   * Starts feeding a container's driver with the lines of its conmon log from `since` on. Opening
   * the driver can fail (a syslog collector that is not there): then the start fails, as dockerd's.
   */
  async start(rec: ContainerRecord, dir: string, readLog: (opts: LogReadOptions) => AsyncIterable<LogEntry>, since?: Date): Promise<void> {
    if (!isForwarded(rec.spec.logging.driver) || this.#active.has(rec.id)) return;
    const opened = await openSink(rec, dir, (e) => this.log(`log driver of ${rec.id}`, e));
    // A file driver's own last line says where it is; for the others berthd keeps a mark beside.
    const sink = driverLogPath(rec, dir) ? opened : markingPosition(opened, join(dir, POSITION_FILE));
    const resume = since ? { since, seen: [] } : resumePoint(rec, dir);
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const limit = logBufferLimit(rec.spec.logging.options ?? {});
    const ac = new AbortController();
    const lines = readLog({ follow: true, keepReserve: true, stopWhen: stopped, signal: ac.signal, ...(resume.since ? { since: resume.since } : {}) });
    const done = this.#run(rec.id, sink, resume.seen.length ? skipSeen(lines, resume.seen) : lines, limit);
    const abort = (): void => {
      ac.abort();
      sink.close(true);
    };
    this.#active.set(rec.id, { stop, abort, done });
  }

  async #run(id: string, sink: LogSink, lines: AsyncIterable<LogEntry>, limit: number | null): Promise<void> {
    // mode=non-blocking: lines wait in a queue of at most `limit` bytes; beyond it they are dropped, as Docker's ring buffer does.
    const queue: LogEntry[] = [];
    let queued = 0;
    let dropped = 0;
    let draining: Promise<void> | null = null;
    const drain = async (): Promise<void> => {
      while (queue.length) {
        const e = queue.shift() as LogEntry;
        queued -= e.line.length;
        await sink.write(e);
      }
    };
    try {
      for await (const e of lines) {
        if (limit === null) {
          await sink.write(e);
          continue;
        }
        if (queued + e.line.length > limit) {
          dropped++;
          continue;
        }
        queue.push(e);
        queued += e.line.length;
        draining ??= drain().finally(() => (draining = null));
      }
      while (draining) await draining;
    } catch (e) {
      this.log(`log driver of ${id}`, e);
    } finally {
      if (dropped) this.log(`log driver of ${id}`, new Error(`${String(dropped)} lines dropped by mode=non-blocking`));
      sink.close();
    }
  }

  /** Ends a container's forwarding once what its log holds is passed on (bounded), e.g. at its exit. */
  async stop(id: string): Promise<void> {
    const a = this.#active.get(id);
    if (!a) return;
    this.#active.delete(id);
    a.stop();
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([a.done.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), DRAIN_LIMIT_MS)))]);
    clearTimeout(timer);
    if (late) {
      this.log(`log driver of ${id}`, new Error(`its destination took no lines for ${String(DRAIN_LIMIT_MS / 1000)} s at the exit: the rest is dropped`));
      a.abort();
    }
  }
}

/** Where berthd notes how far a syslog or journald container's lines went (the time and the lines of that millisecond). */
const POSITION_FILE = 'log-position.json';
const POSITION_EVERY_MS = 1000;

function markingPosition(sink: LogSink, path: string): LogSink {
  let last: LogEntry[] = [];
  let dirty = false;
  const save = (): void => {
    if (!dirty) return;
    dirty = false;
    try {
      writeFileSync(path, JSON.stringify(last.map((e) => ({ time: e.time.toISOString(), stream: e.stream, line: e.line.toString('base64') }))));
    } catch {
      // Only a restart reads it; at worst it repeats a second of lines.
    }
  };
  const timer = setInterval(save, POSITION_EVERY_MS);
  timer.unref();
  return {
    write: (e) => {
      if (last[0]?.time.getTime() !== e.time.getTime()) last = [];
      last.push(e);
      dirty = true;
      return sink.write(e);
    },
    close: (now) => {
      clearInterval(timer);
      save();
      sink.close(now);
    },
  };
}

function readPosition(path: string): LogEntry[] {
  try {
    const list = JSON.parse(readFileSync(path, 'utf8')) as { time: string; stream: 'stdout' | 'stderr'; line: string }[];
    return list.map((x) => ({ time: new Date(x.time), stream: x.stream, line: Buffer.from(x.line, 'base64') }));
  } catch {
    return [];
  }
}

/**
 * Where a restarted berthd picks up a running container's log: at the time of the last line its
 * driver got (a file driver's last line, the others' mark), skipping the lines of that millisecond
 * it already has.
 */
function resumePoint(rec: ContainerRecord, dir: string): { since?: Date; seen: LogEntry[] } {
  const path = driverLogPath(rec, dir);
  const seen = path ? lastJsonLogEntries(path) : readPosition(join(dir, POSITION_FILE));
  const last = seen[0];
  if (last) return { since: last.time, seen };
  const started = Date.parse(rec.state.startedAt);
  return Number.isFinite(started) && started > 0 ? { since: new Date(started), seen: [] } : { seen: [] };
}

async function* skipSeen(lines: AsyncIterable<LogEntry>, seen: LogEntry[]): AsyncIterable<LogEntry> {
  const left = [...seen];
  for await (const e of lines) {
    const i = left.findIndex((s) => s.time.getTime() === e.time.getTime() && s.stream === e.stream && s.line.equals(e.line));
    if (i >= 0) {
      left.splice(i, 1);
      continue;
    }
    yield e;
  }
}
