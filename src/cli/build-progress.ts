import { InvalidArgument } from '../errdefs/index.js';

/** One step of berth's structured build progress (BuildKit's vertex, as the server sends it). */
export interface Vertex {
  digest: string;
  name: string;
  started?: string;
  completed?: string;
  cached?: boolean;
  error?: string;
}

/** One update: BuildKit's SolveStatus shape (what `--progress=rawjson` prints). */
export interface SolveStatus {
  vertexes?: Vertex[];
  logs?: { vertex: string; stream: number; data: string; timestamp: string }[];
  warnings?: { vertex: string; short: string; level: number }[];
}

export type ProgressMode = 'tty' | 'plain' | 'quiet' | 'rawjson';

/** Renders the progress of a build; `done` once it ends (with the error, if it failed). */
export interface BuildRenderer {
  update(s: SolveStatus): void;
  done(error?: string): void;
}

interface Known {
  n: number;
  v: Vertex;
  /** Output lines, the last one possibly partial. */
  lines: string[];
}

function seconds(from?: string, to?: string): number {
  if (!from) return 0;
  const end = to ? Date.parse(to) : Date.now();
  return Math.max(0, (end - Date.parse(from)) / 1000);
}

/** The vertices seen so far, numbered #1, #2 … in the order they first appear. */
class Vertices {
  readonly all = new Map<string, Known>();
  get(digest: string): Known | undefined {
    return this.all.get(digest);
  }
  merge(v: Vertex): { k: Known; fresh: boolean; was: Vertex } {
    const old = this.all.get(v.digest);
    if (old) {
      const was = { ...old.v };
      old.v = { ...old.v, ...v };
      return { k: old, fresh: false, was };
    }
    const k: Known = { n: this.all.size + 1, v: { ...v }, lines: [] };
    this.all.set(v.digest, k);
    return { k, fresh: true, was: { digest: v.digest, name: v.name } };
  }
}

/** The end of a vertex as BuildKit's plain printer writes it. */
function ending(k: Known): string | null {
  const v = k.v;
  if (v.error === 'context canceled') return `#${k.n} CANCELED`;
  if (v.error !== undefined) return `#${k.n} ERROR: ${v.error}`;
  if (v.cached) return `#${k.n} CACHED`;
  if (v.completed) return `#${k.n} DONE ${seconds(v.started, v.completed).toFixed(1)}s`;
  return null;
}

/**
 * BuildKit's plain progress: `#N name` when a step starts, `#N <seconds> <line>` for its output,
 * `#N DONE 0.3s` / `#N CACHED` / `#N ERROR: …` when it ends, a blank line between steps.
 */
export class PlainRenderer implements BuildRenderer {
  readonly #seen = new Vertices();
  #current: string | null = null;
  #wrote = false;
  constructor(readonly write: (text: string) => void) {}

  #switch(k: Known): void {
    if (this.#current === k.v.digest) return;
    if (this.#wrote) this.write('\n');
    this.#current = k.v.digest;
    this.#wrote = true;
    this.write(`#${k.n} ${k.v.name}\n`);
  }

  update(s: SolveStatus): void {
    for (const v of s.vertexes ?? []) {
      const { k, fresh, was } = this.#seen.merge(v);
      if (fresh) this.#switch(k);
      const end = !was.completed && (k.v.completed || k.v.error !== undefined) ? ending(k) : null;
      if (end) {
        this.#switch(k);
        this.write(`${end}\n`);
      }
    }
    for (const l of s.logs ?? []) {
      const k = this.#seen.get(l.vertex);
      if (!k) continue;
      this.#switch(k);
      const t = seconds(k.v.started, l.timestamp).toFixed(3);
      const text = Buffer.from(l.data, 'base64').toString('utf8');
      for (const line of text.replace(/\n$/, '').split('\n')) {
        this.write(`#${k.n} ${t} ${line}\n`);
        k.lines.push(line);
      }
      if (k.lines.length > SUMMARY) k.lines.splice(0, k.lines.length - SUMMARY);
    }
    for (const w of s.warnings ?? []) {
      if (this.#wrote) this.write('\n');
      this.#current = null;
      this.write(`WARNING: ${Buffer.from(w.short, 'base64').toString('utf8')}\n`);
    }
  }

  done(error?: string): void {
    if (error === undefined) return;
    if (this.#wrote) this.write('\n');
    const failed = failedStep(this.#seen);
    if (failed) this.write(failureSummary(failed));
    this.write(`ERROR: ${error}\n`);
  }
}

/** How many lines of a failed step's output the summary after the progress repeats. */
const SUMMARY = 10;

function failedStep(seen: Vertices): Known | undefined {
  return [...seen.all.values()].find((k) => k.v.error !== undefined && k.v.error !== 'context canceled');
}

/** BuildKit's block after a failed build: the step and its last lines of output between rules. */
function failureSummary(k: Known): string {
  const lines = k.lines.filter((l, i, a) => l !== '' || i < a.length - 1).slice(-SUMMARY);
  return `------\n > ${k.v.name}:\n${lines.map((l) => `${l}\n`).join('')}------\n`;
}

/** How many output lines of a running step the tty view keeps (BuildKit shows the last few). */
const TAIL = 6;

/**
 * BuildKit's tty progress: a `[+] Building 1.2s (3/5)` header and one line per step with its time,
 * the running steps followed by their last lines of output, redrawn in place.
 */
export class TtyRenderer implements BuildRenderer {
  readonly #seen = new Vertices();
  readonly #start = Date.now();
  #drawn = 0;
  #timer: NodeJS.Timeout | null = null;
  readonly #warnings: string[] = [];
  constructor(
    readonly write: (text: string) => void,
    readonly columns: () => number,
    readonly rows: () => number = () => 0,
  ) {}

  update(s: SolveStatus): void {
    for (const v of s.vertexes ?? []) this.#seen.merge(v);
    for (const l of s.logs ?? []) {
      const k = this.#seen.get(l.vertex);
      if (!k) continue;
      const text = Buffer.from(l.data, 'base64').toString('utf8');
      const parts = text.split('\n');
      const last = k.lines.pop() ?? '';
      k.lines.push(last + (parts[0] ?? ''), ...parts.slice(1));
      if (k.lines.length > TAIL + 1) k.lines.splice(0, k.lines.length - TAIL - 1);
    }
    for (const w of s.warnings ?? []) this.#warnings.push(Buffer.from(w.short, 'base64').toString('utf8'));
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.#draw(false);
    }, 100);
  }

  #lines(final: boolean): string[] {
    const all = [...this.#seen.all.values()];
    const finished = all.filter((k) => k.v.completed || k.v.error !== undefined).length;
    const secs = ((Date.now() - this.#start) / 1000).toFixed(1);
    const out = [`[+] Building ${secs}s (${finished}/${all.length})${final ? ' FINISHED' : ''}`];
    const width = Math.max(40, this.columns());
    for (const k of all) {
      const v = k.v;
      const prefix = v.error !== undefined && v.error !== 'context canceled' ? ' => ERROR ' : v.error !== undefined ? ' => CANCELED ' : v.cached ? ' => CACHED ' : ' => ';
      const time = `${seconds(v.started, v.completed).toFixed(1)}s`;
      const room = width - time.length - 1;
      let head = `${prefix}${v.name}`;
      if (head.length > room) head = head.slice(0, room);
      out.push(`${head.padEnd(room)} ${time}`);
      if (!v.completed && !final) {
        for (const l of k.lines.filter((x, i, a) => x !== '' || i < a.length - 1).slice(-TAIL)) out.push(` => => # ${l}`.slice(0, width));
      }
    }
    return out;
  }

  #draw(final: boolean): void {
    let lines = this.#lines(final);
    // The frame is redrawn by moving up over it: it must fit the terminal, so the oldest lines go first
    // (the final frame is written once and may scroll).
    const room = this.rows() - 1;
    if (!final && room > 1 && lines.length > room) lines = [lines[0] as string, ...lines.slice(lines.length - room + 1)];
    let text = this.#drawn ? `\x1b[${this.#drawn}A` : '';
    for (const l of lines) text += `\r\x1b[2K${l}\n`;
    // Lines of the last frame below this one (log tails that went away) are cleared.
    const extra = Math.max(0, this.#drawn - lines.length);
    for (let i = 0; i < extra; i++) text += '\x1b[2K\n';
    if (extra) text += `\x1b[${extra}A`;
    this.write(text);
    this.#drawn = lines.length;
  }

  done(error?: string): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#draw(true);
    for (const w of this.#warnings) this.write(`WARNING: ${w}\n`);
    if (error !== undefined) {
      const failed = failedStep(this.#seen);
      if (failed) this.write(failureSummary(failed));
      this.write(`ERROR: ${error}\n`);
    }
  }
}

/** `--progress=rawjson`: each update as one line of JSON, as buildx prints BuildKit's SolveStatus. */
export class RawJsonRenderer implements BuildRenderer {
  constructor(readonly write: (text: string) => void) {}
  update(s: SolveStatus): void {
    this.write(`${JSON.stringify(s)}\n`);
  }
  done(error?: string): void {
    if (error !== undefined) this.write(`ERROR: ${error}\n`);
  }
}

/** `--progress=quiet`: nothing but the error. */
export class QuietRenderer implements BuildRenderer {
  constructor(readonly write: (text: string) => void) {}
  update(): void {}
  done(error?: string): void {
    if (error !== undefined) this.write(`ERROR: ${error}\n`);
  }
}

/** `--progress` as buildx reads it; auto is tty on a terminal, else plain. */
export function progressMode(flag: string | undefined, quiet: boolean, isTty: boolean): ProgressMode {
  const v = flag ?? 'auto';
  if (!['auto', 'tty', 'plain', 'quiet', 'rawjson'].includes(v)) throw new InvalidArgument(`invalid progress mode "${v}": use auto, tty, plain, quiet or rawjson`);
  if (quiet || v === 'quiet') return 'quiet';
  if (v === 'auto') return isTty ? 'tty' : 'plain';
  return v as ProgressMode;
}

export function renderer(mode: ProgressMode, write: (text: string) => void, columns: () => number, rows: () => number = () => 0): BuildRenderer {
  switch (mode) {
    case 'tty':
      return new TtyRenderer(write, columns, rows);
    case 'plain':
      return new PlainRenderer(write);
    case 'rawjson':
      return new RawJsonRenderer(write);
    case 'quiet':
      return new QuietRenderer(write);
  }
}
