import { InvalidArgument } from '../../errdefs/index.js';

/** One instruction as written: continuation lines joined, its flags split off, nothing expanded. */
export interface Node {
  /** Lower-case instruction name. */
  cmd: string;
  /** The instruction with continuations joined, as Docker prints it in `Step N/M : …`. */
  original: string;
  /** `--name=value` words that came first (`--from=build`, `--chown=1:1`, `--platform=…`). */
  flags: string[];
  /** The text after the instruction name and its flags. */
  rest: string;
  /** 1-based line numbers of the first and last physical line. */
  startLine: number;
  endLine: number;
}

export interface ParsedDockerfile {
  escape: string;
  directives: Record<string, string>;
  nodes: Node[];
}

export const INSTRUCTIONS = new Set([
  'add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label',
  'maintainer', 'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir',
]);

/** A Dockerfile that cannot be parsed: the line is part of the message, as Docker words it. */
export function parseError(line: number, msg: string): InvalidArgument {
  return new InvalidArgument(`dockerfile parse error on line ${line}: ${msg}`);
}

const DIRECTIVE_RE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;

/** Reads the parser directives (`# escape=`, `# syntax=`) from the top of the file. */
function readDirectives(lines: string[]): { directives: Record<string, string>; escape: string } {
  const directives: Record<string, string> = {};
  for (const l of lines) {
    const m = DIRECTIVE_RE.exec(l);
    if (!m) break;
    const key = (m[1] as string).toLowerCase();
    if (key in directives) break;
    directives[key] = m[2] as string;
  }
  const escape = directives['escape'] ?? '\\';
  if (escape !== '\\' && escape !== '`') throw new InvalidArgument(`invalid escape token '${escape}' does not match ` + '` or \\');
  return { directives, escape };
}

/** Splits leading `--flag[=value]` words off an instruction's arguments. */
export function splitFlags(args: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let rest = args;
  for (;;) {
    const m = /^--(\S*)(?:\s+|$)/.exec(rest);
    if (!m) break;
    if (m[1] === '') {
      rest = rest.slice(m[0].length);
      break;
    }
    flags.push(m[1] as string);
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/**
 * Parses a Dockerfile as BuildKit's parser does: directives first, comments dropped (also inside
 * continuations), lines ending in the escape character joined with the next, empty continuation
 * lines skipped, the instruction word case-insensitive.
 */
export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const { directives, escape } = readDirectives(lines);
  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const nodes: Node[] = [];
  let i = 0;
  while (i < lines.length) {
    const first = (lines[i] as string).replace(/^[ \t]+/, '');
    const startLine = i + 1;
    i++;
    if (first === '' || first.startsWith('#')) continue;
    let joined = '';
    let cur = first;
    let endLine = startLine;
    for (;;) {
      if (!continuation.test(cur)) {
        joined += cur;
        break;
      }
      joined += cur.replace(continuation, '');
      // The next non-comment, non-empty line continues this one.
      let next: string | undefined;
      while (i < lines.length) {
        const l = lines[i] as string;
        i++;
        const t = l.replace(/^[ \t]+/, '');
        if (t.startsWith('#') || t.trim() === '') continue;
        next = l;
        endLine = i;
        break;
      }
      if (next === undefined) break;
      cur = next;
    }
    const line = joined.trim();
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line);
    if (!m) continue;
    const word = m[1] as string;
    const cmd = word.toLowerCase();
    if (!INSTRUCTIONS.has(cmd)) throw parseError(startLine, `unknown instruction: ${word.toUpperCase()}`);
    const { flags, rest } = splitFlags(m[2] as string);
    nodes.push({ cmd, original: line, flags, rest: rest.trim(), startLine, endLine });
  }
  return { escape, directives, nodes };
}
