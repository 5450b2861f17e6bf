import { InvalidArgument } from '../../errdefs/index.js';

/** The parser directives BuildKit knows; an unknown one ends the directive block (it is a comment). */
const KNOWN = new Set(['syntax', 'escape', 'check']);
const DIRECTIVE_RE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$/;

/**
 * The frontend images berth stands in for: docker/dockerfile (also -upstream, on Docker Hub under
 * any of its names) at 1, 1.x, 1.x.y, their -labs (and old -experimental) variants, latest/labs, with
 * or without a digest.
 * berth runs none of them: it parses the Dockerfile itself with the features of that family.
 */
const FRONTEND_RE = /^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?docker\/dockerfile(?:-upstream)?(?::(?:1(?:\.\d+){0,2}(?:-labs|-experimental)?|latest|labs|experimental))?(?:@sha256:[0-9a-f]{64})?$/;

export function checkSyntax(value: string): void {
  if (FRONTEND_RE.test(value.trim())) return;
  throw new InvalidArgument(
    `unsupported syntax directive "${value}": berth builds the docker/dockerfile:1 syntax itself and does not run frontend images; use "# syntax=docker/dockerfile:1" or remove the line`,
  );
}

/** `# check=skip=A,B;error=true` (also `skip=all`, `experimental=…`), validated as BuildKit does. */
export function checkCheck(value: string): void {
  for (const part of value.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    const k = eq < 0 ? p : p.slice(0, eq).trim().toLowerCase();
    const v = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (k === 'skip' || k === 'experimental') {
      if (v === '') throw new InvalidArgument(`invalid check directive "${value}": ${k} needs a list of check names or "all"`);
    } else if (k === 'error') {
      if (!/^(true|false|1|0)$/i.test(v)) throw new InvalidArgument(`invalid check directive "${value}": error must be true or false, not "${v}"`);
    } else throw new InvalidArgument(`invalid check directive "${value}": unknown key "${k}" (expected skip, error or experimental)`);
  }
}

/**
 * Reads the parser directives from the top of the file: `# name=value` lines until anything else
 * (a comment, an empty line, an instruction, an unknown directive). A directive given twice is an
 * error, as in BuildKit. Returns the directives and how many lines they took.
 */
export function readDirectives(lines: string[]): { directives: Record<string, string>; escape: string; count: number } {
  const directives: Record<string, string> = {};
  let count = 0;
  for (const l of lines) {
    const m = DIRECTIVE_RE.exec(l);
    if (!m) break;
    const key = (m[1] as string).toLowerCase();
    if (!KNOWN.has(key)) break;
    if (key in directives) throw new InvalidArgument(`dockerfile parse error on line ${count + 1}: only one ${key} parser directive can be used`);
    directives[key] = m[2] as string;
    count++;
  }
  // BuildKit picks the frontend also from a syntax line after a leading #! line (which the
  // parser itself reads as a comment): another frontend named there is refused too.
  if (lines[0]?.startsWith('#!')) {
    const m = DIRECTIVE_RE.exec(lines[1] ?? '');
    if (m && (m[1] as string).toLowerCase() === 'syntax') checkSyntax(m[2] as string);
  }
  const escape = directives['escape'] ?? '\\';
  if (escape !== '\\' && escape !== '`') throw new InvalidArgument(`invalid escape token '${escape}' does not match ` + '` or \\');
  if (directives['syntax'] !== undefined) checkSyntax(directives['syntax']);
  if (directives['check'] !== undefined) checkCheck(directives['check']);
  return { directives, escape, count };
}
