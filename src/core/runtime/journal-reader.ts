import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Unavailable } from '../../errdefs/index.js';
import type { LogEntry, ReadLogsOptions } from './logs.js';

/** One `journalctl -o json` line as a log entry: MESSAGE (text, or bytes when not UTF-8), PRIORITY 3 = stderr, the journal's time. */
export function parseJournalJson(line: string): LogEntry | null {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  const m = o['MESSAGE'];
  const text = typeof m === 'string' ? Buffer.from(m, 'utf8') : Array.isArray(m) ? Buffer.from(m as number[]) : null;
  if (!text) return null;
  const ts = typeof o['SYSLOG_TIMESTAMP'] === 'string' ? Date.parse(o['SYSLOG_TIMESTAMP']) : NaN;
  const rt = typeof o['__REALTIME_TIMESTAMP'] === 'string' ? Number(o['__REALTIME_TIMESTAMP']) / 1000 : NaN;
  const time = new Date(Number.isFinite(ts) ? ts : Number.isFinite(rt) ? rt : 0);
  return { stream: o['PRIORITY'] === '3' ? 'stderr' : 'stdout', time, line: Buffer.concat([text, Buffer.from('\n')]) };
}

/**
 * A container's entries in the systemd journal, read with journalctl (by CONTAINER_ID_FULL, as
 * dockerd's journald reader matches them): tail, since/until, follow until `stopWhen` or the signal.
 */
export async function* readJournal(containerId: string, opts: ReadLogsOptions = {}): AsyncIterable<LogEntry> {
  const args = ['--no-pager', '-o', 'json', `CONTAINER_ID_FULL=${containerId}`];
  if (opts.tail !== undefined && opts.tail >= 0) args.push('-n', String(opts.tail));
  if (opts.since) args.push(`--since=@${(opts.since.getTime() / 1000).toFixed(3)}`);
  if (opts.until) args.push(`--until=@${(opts.until.getTime() / 1000).toFixed(3)}`);
  if (opts.follow) args.push('-f');
  const child = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const failed = new Promise<never>((_r, reject) => child.once('error', (e) => reject(new Unavailable('cannot read the journal: journalctl did not run', { cause: e }))));
  failed.catch(() => undefined);
  const stop = (): void => void child.kill('SIGTERM');
  // The journal takes a moment to store the last datagrams: the reader ends a little after the exit.
  opts.stopWhen?.then(() => setTimeout(stop, 300), () => setTimeout(stop, 300));
  opts.signal?.addEventListener('abort', stop, { once: true });
  const wantOut = opts.stdout ?? true;
  const wantErr = opts.stderr ?? true;
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const e = parseJournalJson(line);
      if (e && (e.stream === 'stdout' ? wantOut : wantErr)) yield e;
    }
    if (child.exitCode === null && child.pid === undefined) await failed;
  } finally {
    stop();
    opts.signal?.removeEventListener('abort', stop);
  }
}
