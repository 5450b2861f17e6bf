import { jsonLines, parseFilters } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { Template } from '../template/index.js';

interface EventMessage {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano: number;
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
  const ns = BigInt(e.timeNano);
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
  for await (const e of jsonLines<EventMessage>(stream)) {
    ctx.out(`${tmpl ? tmpl.execute(e) : formatEvent(e)}\n`);
  }
  return 0;
}
