import { readDirectives } from './directives.js';
import { DockerfileError, parseError } from './errors.js';
import { heredocsOf, type Heredoc } from './heredoc.js';

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
  /** 1-based line numbers of the first and last physical line (the last heredoc delimiter included). */
  startLine: number;
  endLine: number;
  /** Here-documents of RUN, COPY and ADD, in the order the line opens them. */
  heredocs: Heredoc[];
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

export { parseError };

const HEREDOC_INSTRUCTIONS = new Set(['run', 'copy', 'add']);

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
  try {
    return parseLines(text.replace(/^\uFEFF/, '').split(/\r?\n/));
  } catch (e) {
    throw e instanceof DockerfileError ? e.withText(text) : e;
  }
}

function parseLines(lines: string[]): ParsedDockerfile {
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
    if (!INSTRUCTIONS.has(cmd)) throw parseError(startLine, `unknown instruction: ${word.toUpperCase()}${suggestion(cmd)}`, endLine);
    const { flags, rest } = splitFlags(m[2] as string);
    const heredocs: Heredoc[] = [];
    // ONBUILD RUN <<EOF: the trigger's heredocs belong to the ONBUILD line (BuildKit's compound rule).
    const inner = cmd === 'onbuild' ? splitFlags((/^\S+\s*([\s\S]*)$/.exec(rest.trim())?.[1] ?? '')) : null;
    const heredocCmd = cmd === 'onbuild' ? (/^(\S+)/.exec(rest.trim())?.[1] ?? '').toLowerCase() : cmd;
    if (HEREDOC_INSTRUCTIONS.has(heredocCmd) && !isJsonForm(inner ? inner.rest : rest)) {
      for (const h of heredocsOf(line)) {
        let content = '';
        let done = false;
        while (i < lines.length) {
          const l = lines[i] as string;
          i++;
          if ((h.chomp ? l.replace(/^\t+/, '') : l) === h.name) {
            done = true;
            break;
          }
          content += `${l}\n`;
        }
        if (!done) throw parseError(startLine, `unterminated heredoc: the here-document <<${h.name} opened here has no line "${h.name}" that ends it`, i);
        endLine = i;
        heredocs.push({ ...h, content });
      }
    }
    nodes.push({ cmd, original: line, flags, rest: rest.trim(), startLine, endLine, heredocs });
  }
  return { escape, directives, nodes };
}

/** Whether the arguments are a JSON array of strings (exec form), which never holds heredocs. */
function isJsonForm(rest: string): boolean {
  const t = rest.trim();
  if (!t.startsWith('[')) return false;
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) && v.every((x) => typeof x === 'string');
  } catch {
    return false;
  }
}

/** BuildKit's hint for a misspelt instruction: ` (did you mean copy?)` for one a single edit or two away. */
function suggestion(word: string): string {
  let best = '';
  let bestD = 3;
  for (const ins of INSTRUCTIONS) {
    const d = distance(word, ins);
    if (d < bestD) [best, bestD] = [ins, d];
  }
  return best ? ` (did you mean ${best}?)` : '';
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length] as number;
}
