import { InvalidArgument } from '../../errdefs/index.js';
import { parseError, parseDockerfile, type Node } from './parser.js';
import { splitRawWords } from './shell-lex.js';

/** RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD: a JSON array (exec form) or text for the shell. */
export type CommandForm = { json: true; args: string[] } | { json: false; text: string };

export interface HealthcheckSpec {
  /** null for HEALTHCHECK NONE. */
  cmd: CommandForm | null;
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  startInterval?: string;
  retries?: string;
}

interface Base {
  line: number;
  original: string;
}

/** The instructions, typed; words are NOT expanded yet (that needs the build's variables). */
export type Instruction = Base &
  (
    | { kind: 'from'; image: string; stage?: string; platform?: string }
    | { kind: 'run'; cmd: CommandForm }
    | { kind: 'cmd'; cmd: CommandForm }
    | { kind: 'entrypoint'; cmd: CommandForm }
    | { kind: 'copy' | 'add'; sources: string[]; dest: string; from?: string; chown?: string; chmod?: string }
    | { kind: 'env' | 'label'; pairs: [string, string][] }
    | { kind: 'arg'; args: { name: string; value?: string }[] }
    | { kind: 'workdir' | 'user' | 'stopsignal' | 'maintainer'; value: string }
    | { kind: 'expose' | 'volume'; values: string[] }
    | { kind: 'healthcheck'; health: HealthcheckSpec }
    | { kind: 'shell'; shell: string[] }
    | { kind: 'onbuild'; expression: string }
  );

export interface Stage {
  base: Extract<Instruction, { kind: 'from' }>;
  instructions: Instruction[];
}

export interface Dockerfile {
  escape: string;
  /** ARGs before the first FROM (they parameterize FROM lines). */
  metaArgs: Extract<Instruction, { kind: 'arg' }>[];
  stages: Stage[];
}

function jsonArray(s: string): string[] | null {
  if (!s.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(s);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* not JSON: Docker then takes the shell form */
  }
  return null;
}

function commandForm(rest: string): CommandForm {
  const a = jsonArray(rest);
  return a ? { json: true, args: a } : { json: false, text: rest };
}

function flagMap(n: Node, allowed: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of n.flags) {
    const eq = f.indexOf('=');
    const name = eq < 0 ? f : f.slice(0, eq);
    if (!allowed.includes(name)) throw parseError(n.startLine, `unknown flag: ${name}`);
    out.set(name, eq < 0 ? '' : f.slice(eq + 1));
  }
  return out;
}

function needArgs(n: Node, what = `${n.cmd.toUpperCase()} requires at least one argument`): void {
  if (n.rest === '') throw parseError(n.startLine, what);
}

function opt(m: Map<string, string>, k: string): string | undefined {
  return m.get(k);
}

/** `ENV a=b c="d e"`, or the legacy `ENV a b c` (key, then the rest as its value). */
function pairs(n: Node, escape: string): [string, string][] {
  needArgs(n, n.cmd === 'env' ? 'ENV must have two arguments' : 'LABEL requires at least one argument');
  const words = splitRawWords(n.rest, escape);
  if (n.cmd === 'env' && !(words[0] as string).includes('=')) {
    const m = /^(\S+)\s+([\s\S]+)$/.exec(n.rest);
    if (!m) throw parseError(n.startLine, 'ENV must have two arguments');
    return [[m[1] as string, m[2] as string]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw parseError(n.startLine, `Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function healthcheck(n: Node): HealthcheckSpec {
  needArgs(n);
  const f = flagMap(n, ['interval', 'timeout', 'start-period', 'start-interval', 'retries']);
  const m = /^(\S+)\s*([\s\S]*)$/.exec(n.rest) as RegExpExecArray;
  const type = (m[1] as string).toUpperCase();
  if (type === 'NONE') {
    if ((m[2] as string) !== '' || n.flags.length) throw parseError(n.startLine, 'HEALTHCHECK NONE takes no arguments');
    return { cmd: null };
  }
  if (type !== 'CMD') throw parseError(n.startLine, `Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  if ((m[2] as string) === '') throw parseError(n.startLine, 'Missing command after HEALTHCHECK CMD');
  const spec: HealthcheckSpec = { cmd: commandForm(m[2] as string) };
  const set = (k: keyof HealthcheckSpec, flag: string): void => {
    const v = opt(f, flag);
    if (v !== undefined) (spec as unknown as Record<string, string>)[k] = v;
  };
  set('interval', 'interval');
  set('timeout', 'timeout');
  set('startPeriod', 'start-period');
  set('startInterval', 'start-interval');
  set('retries', 'retries');
  return spec;
}

/** One node as a typed instruction; bad arguments are parse errors naming the line. */
export function toInstruction(n: Node, escape: string): Instruction {
  const base = { line: n.startLine, original: n.original };
  const noFlags = (): void => void flagMap(n, []);
  switch (n.cmd) {
    case 'from': {
      const f = flagMap(n, ['platform']);
      const w = n.rest.split(/\s+/).filter(Boolean);
      if (w.length !== 1 && !(w.length === 3 && (w[1] as string).toLowerCase() === 'as')) throw parseError(n.startLine, 'FROM requires either one or three arguments');
      const platform = opt(f, 'platform');
      return { ...base, kind: 'from', image: w[0] as string, ...(w[2] ? { stage: (w[2] as string).toLowerCase() } : {}), ...(platform ? { platform } : {}) };
    }
    case 'run':
      flagMap(n, ['network', 'security', 'mount']);
      needArgs(n);
      if (n.flags.some((f) => f.startsWith('mount'))) throw parseError(n.startLine, 'RUN --mount needs BuildKit; the classic builder does not support it');
      return { ...base, kind: 'run', cmd: commandForm(n.rest) };
    case 'cmd':
    case 'entrypoint':
      noFlags();
      needArgs(n);
      return { ...base, kind: n.cmd, cmd: commandForm(n.rest) };
    case 'copy':
    case 'add': {
      const f = flagMap(n, n.cmd === 'copy' ? ['from', 'chown', 'chmod', 'link', 'parents', 'exclude'] : ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir', 'exclude']);
      const list = jsonArray(n.rest) ?? splitRawWords(n.rest, escape);
      if (list.length < 2) throw parseError(n.startLine, `${n.cmd.toUpperCase()} requires at least two arguments, but only one was provided. Destination could not be determined.`);
      for (const k of ['parents', 'exclude', 'checksum', 'keep-git-dir']) if (f.has(k)) throw parseError(n.startLine, `${n.cmd.toUpperCase()} --${k} needs BuildKit; the classic builder does not support it`);
      const from = opt(f, 'from');
      const chown = opt(f, 'chown');
      const chmod = opt(f, 'chmod');
      return {
        ...base,
        kind: n.cmd,
        sources: list.slice(0, -1),
        dest: list.at(-1) as string,
        ...(from !== undefined ? { from } : {}),
        ...(chown !== undefined && chown !== '' ? { chown } : {}),
        ...(chmod !== undefined && chmod !== '' ? { chmod } : {}),
      };
    }
    case 'env':
    case 'label':
      noFlags();
      return { ...base, kind: n.cmd, pairs: pairs(n, escape) };
    case 'arg': {
      noFlags();
      needArgs(n, 'ARG requires exactly one argument');
      const args = splitRawWords(n.rest, escape).map((w) => {
        const eq = w.indexOf('=');
        return eq < 0 ? { name: w } : { name: w.slice(0, eq), value: w.slice(eq + 1) };
      });
      for (const a of args) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.name)) throw parseError(n.startLine, `invalid ARG name ${JSON.stringify(a.name)}`);
      return { ...base, kind: 'arg', args };
    }
    case 'workdir':
    case 'user':
    case 'stopsignal':
    case 'maintainer':
      noFlags();
      needArgs(n, `${n.cmd.toUpperCase()} requires exactly one argument`);
      return { ...base, kind: n.cmd, value: n.rest };
    case 'expose':
    case 'volume': {
      noFlags();
      needArgs(n);
      const values = n.cmd === 'volume' ? (jsonArray(n.rest) ?? splitRawWords(n.rest, escape)) : splitRawWords(n.rest, escape);
      return { ...base, kind: n.cmd, values };
    }
    case 'healthcheck':
      return { ...base, kind: 'healthcheck', health: healthcheck(n) };
    case 'shell': {
      noFlags();
      const a = jsonArray(n.rest);
      if (!a || a.length === 0) throw parseError(n.startLine, 'SHELL requires the arguments to be in JSON form');
      return { ...base, kind: 'shell', shell: a };
    }
    case 'onbuild': {
      noFlags();
      needArgs(n, 'ONBUILD requires at least one argument');
      const inner = /^(\S+)/.exec(n.rest)?.[1]?.toLowerCase() ?? '';
      if (inner === 'onbuild') throw parseError(n.startLine, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (inner === 'from' || inner === 'maintainer') throw parseError(n.startLine, `${inner.toUpperCase()} isn't allowed as an ONBUILD trigger`);
      // Parsed now so that a bad trigger fails this build, not a child's.
      parseInstructions(n.rest, escape, n.startLine);
      return { ...base, kind: 'onbuild', expression: n.rest };
    }
    default:
      throw parseError(n.startLine, `unknown instruction: ${n.cmd.toUpperCase()}`);
  }
}

/** Parses free-standing instruction text (ONBUILD triggers); line numbers count from `line`. */
export function parseInstructions(text: string, escape = '\\', line = 1): Instruction[] {
  const p = parseDockerfile(`# escape=${escape}\n${text}`);
  return p.nodes.map((n) => toInstruction({ ...n, startLine: n.startLine - 2 + line, endLine: n.endLine - 2 + line }, escape));
}

/** Parses a Dockerfile into its meta ARGs and its stages. */
export function parseStages(text: string): Dockerfile {
  const parsed = parseDockerfile(text);
  const metaArgs: Extract<Instruction, { kind: 'arg' }>[] = [];
  const stages: Stage[] = [];
  for (const n of parsed.nodes) {
    const ins = toInstruction(n, parsed.escape);
    if (ins.kind === 'from') {
      stages.push({ base: ins, instructions: [] });
      continue;
    }
    const cur = stages.at(-1);
    if (cur) cur.instructions.push(ins);
    else if (ins.kind === 'arg') metaArgs.push(ins);
    else throw parseError(n.startLine, `${n.cmd.toUpperCase()} before FROM: the first instruction must be FROM (only ARG may come before it)`);
  }
  if (stages.length === 0) throw new InvalidArgument('the Dockerfile (Dockerfile) cannot be empty');
  return { escape: parsed.escape, metaArgs, stages };
}

