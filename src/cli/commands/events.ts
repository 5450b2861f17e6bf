import type { Readable } from 'node:stream';
import { jsonLines, parseFilters } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { Template } from '../template/index.js';

interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: string;
  time: number;
  timeNano: number;
  /** timeNano as the daemon wrote it: its 19 digits do not fit a double. */
  timeNanoText?: string;
}

/** The stream's messages, each with its timeNano kept exact (as text) beside the number. */
function eventLines(stream: Readable): AsyncIterable<EventMessage> {
  return jsonLines(stream, (line) => {
    const e = JSON.parse(line) as EventMessage;
    const exact = /"timeNano"\s*:\s*(\d+)/.exec(line)?.[1];
    if (exact !== undefined) Object.defineProperty(e, 'timeNanoText', { value: exact, enumerable: false });
    return e;
  });
}

/**
 * The message as docker's templates see it: Go's field names (.ID, .Status, .From, .Scope, .Time,
 * .TimeNano) beside the JSON ones, the Go names hidden from `{{json .}}`.
 */
export function templateEvent(e: EventMessage): EventMessage {
  const out = { ...e };
  if (e.timeNanoText !== undefined) Object.defineProperty(out, 'timeNanoText', { value: e.timeNanoText, enumerable: false });
  const goNames: Record<string, unknown> = { Status: e.status ?? '', ID: e.id ?? '', From: e.from ?? '', Scope: e.scope ?? '', Time: e.time ?? 0, TimeNano: e.timeNano ?? 0 };
  for (const [k, v] of Object.entries(goNames)) Object.defineProperty(out, k, { value: v, enumerable: false });
  return out;
}

/** `--since`/`--until` as docker sends them: durations and dates become Unix seconds. */
export function toUnixSeconds(v: string, now = Date.now()): string {
  if (/^\d+(\.\d+)?$/.test(v)) return v;
  const d = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v);
  if (d && v !== '') return String(Math.floor(now / 1000) - ((Number(d[1] ?? 0) * 60 + Number(d[2] ?? 0)) * 60 + Number(d[3] ?? 0)));
  const t = Date.parse(v);
  return Number.isNaN(t) ? v : String(t / 1000);
}

/** docker's default line: time, type, action, actor id, and the sorted attributes. */
export function formatEvent(e: EventMessage): string {
  const ns = BigInt(e.timeNanoText ?? Math.round(e.timeNano));
  const iso = new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, '');
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  const attrs = Object.keys(e.Actor.Attributes)
    .sort()
    .map((k) => `${k}=${e.Actor.Attributes[k]}`)
    .join(', ');
  return `${iso}.${frac}Z ${e.Type} ${e.Action} ${e.Actor.ID}${attrs ? ` (${attrs})` : ''}`;
}

export async function events(ctx: CliContext, opts: { since?: string; until?: string; filter?: string[]; format?: string }): Promise<number> {
  const api = await ctx.api();
  const query: Record<string, string> = {};
  if (opts.since) query['since'] = toUnixSeconds(opts.since);
  if (opts.until) query['until'] = toUnixSeconds(opts.until);
  if (opts.filter && opts.filter.length) query['filters'] = JSON.stringify(parseFilters(opts.filter));
  const stream = await api.client.stream('GET', '/events', { query });
  const tmpl = opts.format ? new Template(opts.format === 'json' ? '{{json .}}' : opts.format) : undefined;
  for await (const e of eventLines(stream)) {
    ctx.out(`${tmpl ? tmpl.execute(templateEvent(e)) : formatEvent(e)}\n`);
  }
  return 0;
}
