import { progressString, type JSONMessage } from '../api/index.js';

/** What docker shows after the status: the bar from progressDetail at this width, else the daemon's text. */
function progressOf(m: JSONMessage, columns: number): string {
  const d = m.progressDetail;
  if (d && (d.current !== undefined || d.total !== undefined)) return progressString(d.current ?? 0, d.total, columns);
  return m.progress ?? '';
}

/**
 * Renders a JSON message stream as docker does (moby's jsonmessage): on a terminal each id keeps
 * one line that is rewritten in place (ANSI cursor moves) with its progress bar; elsewhere one
 * plain line per status, and the messages that only move a bar are left out.
 */
export class ProgressRenderer {
  private readonly ids = new Map<string, number>();
  private lines = 0;
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
  ) {}

  render(m: JSONMessage): void {
    if (m.stream !== undefined) {
      this.out.write(m.stream);
      this.reset();
      return;
    }
    if (m.status === undefined && m.progress === undefined) return;
    const prefix = m.id ? `${m.id}: ` : '';
    if (!this.tty) {
      if (progressOf(m, 200) === '') this.out.write(`${prefix}${m.status ?? ''}\n`);
      return;
    }
    const bar = progressOf(m, (this.out as NodeJS.WriteStream).columns ?? 80);
    const text = `${prefix}${m.status ?? ''}${bar ? ` ${bar}` : ''}`;
    if (m.id === undefined || m.id === '' || (m.progressDetail === undefined && m.progress === undefined)) {
      this.out.write(`${text}\n`);
      // Later progress must not rewrite lines from before this one (docker keeps lines only for progress).
      this.reset();
      return;
    }
    const line = this.ids.get(m.id);
    if (line === undefined) {
      this.ids.set(m.id, this.lines);
      this.lines++;
      this.out.write(`\x1b[2K${text}\n`);
      return;
    }
    const up = this.lines - line;
    this.out.write(`\x1b[${up}A\r\x1b[2K${text}\r\x1b[${up}B`);
  }

  private reset(): void {
    this.ids.clear();
    this.lines = 0;
  }
}
