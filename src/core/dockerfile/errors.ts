import { InvalidArgument } from '../../errdefs/index.js';

/** A Dockerfile error that knows its lines: rendered as BuildKit shows it (file:line, the lines, the message). */
export class DockerfileError extends InvalidArgument {
  constructor(
    readonly detail: string,
    readonly startLine: number,
    readonly endLine: number = startLine,
    readonly excerpt: string[] = [],
    readonly file = 'Dockerfile',
  ) {
    super(render(detail, startLine, endLine, excerpt, file));
  }

  /** The same error with the Dockerfile's text shown (lines startLine..endLine). */
  withText(text: string, file = this.file): DockerfileError {
    const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
    return new DockerfileError(this.detail, this.startLine, this.endLine, lines.slice(this.startLine - 1, Math.min(this.endLine, this.startLine + 9)), file);
  }
}

function render(detail: string, start: number, end: number, excerpt: string[], file: string): string {
  if (start <= 0) return detail;
  const head = `${file}:${start}${end > start ? `-${end}` : ''}`;
  if (excerpt.length === 0) return `${head}: ${detail}`;
  const width = String(start + excerpt.length - 1).length;
  const body = excerpt.map((l, i) => ` ${String(start + i).padStart(Math.max(width, 3))} | >>> ${l}`);
  return [head, '--------------------', ...body, '--------------------', detail].join('\n');
}

/** A parse error, worded as BuildKit's: `dockerfile parse error on line N: …`. */
export function parseError(line: number, msg: string, endLine = line): DockerfileError {
  return new DockerfileError(`dockerfile parse error on line ${line}: ${msg}`, line, endLine);
}

/** An error of a build step, naming the instruction's line and text as BuildKit does. */
export function stepError(ins: { line: number; original: string }, msg: string): DockerfileError {
  return new DockerfileError(msg, ins.line, ins.line, ins.line > 0 ? [ins.original] : []);
}

/**
 * A step's failure (a COPY source missing …) shown with its line as BuildKit shows it; the error
 * keeps its class (its kind and fields), only its message gains the Dockerfile excerpt.
 */
export function withLine<E>(ins: { line: number; original: string }, e: E): E {
  if (!(e instanceof Error) || e instanceof DockerfileError || ins.line <= 0 || e.name === 'AbortError' || e.message.startsWith('Dockerfile:')) return e;
  e.message = render(e.message, ins.line, ins.line, [ins.original], 'Dockerfile');
  return e;
}
