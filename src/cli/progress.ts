import type { JSONMessage } from '../api/index.js';

function progressText(m: JSONMessage): string {
  return `${m.id ? `${m.id}: ` : ''}${m.status ?? ''}${m.progress ? ` ${m.progress}` : ''}`;
}

/**
 * Renders a JSON message stream as docker does: on a terminal each id keeps one line that is
 * rewritten in place (ANSI cursor moves); elsewhere plain lines without progress bars.
 */
export class ProgressRenderer {
  private readonly ids = new Map<string, number>();
  private lines = 0;
  constructor(private readonly out: NodeJS.WritableStream, private readonly tty: boolean) {}

  render(m: JSONMessage): void {
    if (m.stream !== undefined) {
      this.out.write(m.stream);
      this.reset();
      return;
    }
    if (m.status === undefined && m.progress === undefined) return;
    if (!this.tty) {
      this.out.write(`${m.id ? `${m.id}: ` : ''}${m.status ?? ''}\n`);
      return;
    }
    if (m.id === undefined || m.id === '') {
      this.out.write(`${progressText(m)}\n`);
      // Later progress must not rewrite lines from before this one.
      this.reset();
      return;
    }
    const line = this.ids.get(m.id);
    if (line === undefined) {
      this.ids.set(m.id, this.lines);
      this.lines++;
      this.out.write(`\x1b[2K${progressText(m)}\n`);
      return;
    }
    const up = this.lines - line;
    this.out.write(`\x1b[${up}A\r\x1b[2K${progressText(m)}\r\x1b[${up}B`);
  }

  private reset(): void {
    this.ids.clear();
    this.lines = 0;
  }
}
