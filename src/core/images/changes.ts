import { posix } from 'node:path';
import { InvalidArgument } from '../../errdefs/index.js';
import type { ImageConfigConfig } from '../../oci/index.js';

/** Splits words on unquoted whitespace, removing quotes and backslash escapes (Dockerfile word rules). */
function words(s: string, keepSpace = false): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (!keepSpace && /\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote !== null) throw new InvalidArgument(`unexpected end of statement while looking for matching ${quote}`);
  if (inWord) out.push(cur);
  return out;
}

/** Removes quotes and escapes but keeps whitespace, for the legacy `ENV key value with spaces` form. */
function unquote(s: string): string {
  return words(s, true).join('');
}

function jsonArray(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(args);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    /* not JSON: Docker then treats it as shell form */
  }
  return null;
}

function keyValues(instr: string, args: string, legacy: boolean): [string, string][] {
  const ws = words(args);
  if (ws.length === 0) throw new InvalidArgument(`${instr} requires at least one argument`);
  if (legacy && !(ws[0] as string).includes('=')) {
    const m = /^(\S+)\s*(.*)$/s.exec(args.trim());
    const key = m?.[1] ?? '';
    const rest = m?.[2] ?? '';
    if (rest === '') throw new InvalidArgument(`${instr} must have two arguments`);
    return [[key, unquote(rest)]];
  }
  return ws.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new InvalidArgument(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function exposedPorts(args: string): string[] {
  const out: string[] = [];
  for (const w of words(args)) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
    if (!m) throw new InvalidArgument(`invalid containerPort: ${w}`);
    const start = Number(m[1]);
    const end = m[2] !== undefined ? Number(m[2]) : start;
    const proto = (m[3] ?? 'tcp').toLowerCase();
    if (start < 1 || end > 65535 || end < start) throw new InvalidArgument(`invalid containerPort: ${w}`);
    for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

/** Joins Dockerfile continuation lines (a trailing backslash) and drops blank lines and comments. */
function logicalLines(changes: readonly string[]): string[] {
  const out: string[] = [];
  let pending = '';
  for (const given of changes.join('\n').split('\n')) {
    const line = given.trimEnd();
    if (pending === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1);
      continue;
    }
    out.push((pending + line).trim());
    pending = '';
  }
  if (pending.trim() !== '') out.push(pending.trim());
  return out;
}

/**
 * Parses `docker import/commit --change` lines (Dockerfile syntax): CMD, ENTRYPOINT (JSON or shell
 * form), ENV, WORKDIR, USER, EXPOSE, LABEL, VOLUME, STOPSIGNAL, ONBUILD. Later lines override earlier
 * ones like later Dockerfile instructions. Anything else is InvalidArgument, as in Docker.
 */
export function parseChanges(changes: readonly string[]): Partial<ImageConfigConfig> {
  const cfg: Partial<ImageConfigConfig> = {};
  for (const line of logicalLines(changes)) {
    const m = /^(\S+)(?:\s+(.*))?$/s.exec(line);
    const instr = (m?.[1] ?? '').toUpperCase();
    const args = (m?.[2] ?? '').trim();
    switch (instr) {
      case 'CMD':
      case 'ENTRYPOINT': {
        const argv = jsonArray(args) ?? (args === '' ? [] : ['/bin/sh', '-c', args]);
        if (instr === 'CMD') cfg.Cmd = argv;
        else cfg.Entrypoint = argv;
        break;
      }
      case 'ENV': {
        const env = [...(cfg.Env ?? [])];
        for (const [k, v] of keyValues(instr, args, true)) {
          const i = env.findIndex((e) => e.slice(0, e.indexOf('=')) === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        cfg.Env = env;
        break;
      }
      case 'LABEL': {
        const labels = { ...(cfg.Labels ?? {}) };
        for (const [k, v] of keyValues(instr, args, false)) labels[k] = v;
        cfg.Labels = labels;
        break;
      }
      case 'WORKDIR': {
        if (args === '') throw new InvalidArgument('WORKDIR requires exactly one argument');
        const dir = unquote(args);
        cfg.WorkingDir = posix.isAbsolute(dir) ? posix.normalize(dir) : posix.join(cfg.WorkingDir ?? '/', dir);
        break;
      }
      case 'USER':
        if (args === '') throw new InvalidArgument('USER requires exactly one argument');
        cfg.User = unquote(args);
        break;
      case 'EXPOSE': {
        if (args === '') throw new InvalidArgument('EXPOSE requires at least one argument');
        const ports = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of exposedPorts(args)) ports[p] = {};
        cfg.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const vols = { ...(cfg.Volumes ?? {}) };
        const list = jsonArray(args) ?? words(args);
        if (list.length === 0) throw new InvalidArgument('VOLUME requires at least one argument');
        for (const v of list) {
          if (v.trim() === '') throw new InvalidArgument('VOLUME specified can not be an empty string');
          vols[v] = {};
        }
        cfg.Volumes = vols;
        break;
      }
      case 'STOPSIGNAL':
        if (args === '') throw new InvalidArgument('STOPSIGNAL requires exactly one argument');
        cfg.StopSignal = unquote(args);
        break;
      case 'ONBUILD':
        if (args === '') throw new InvalidArgument('ONBUILD requires at least one argument');
        cfg.OnBuild = [...(cfg.OnBuild ?? []), args];
        break;
      default:
        throw new InvalidArgument(`${instr || line} is not a valid change command`);
    }
  }
  return cfg;
}
