import { InvalidArgument } from '../../errdefs/index.js';
import { drainedOrClosed } from '../../util/index.js';
import type { EngineEvent } from '../../services/index.js';
import type { Handler, Router } from '../http/index.js';
import type { EngineDeps } from './deps.js';
import { parseFilters } from './request.js';

const FILTERS = new Set(['type', 'event', 'container', 'image', 'volume', 'network', 'label', 'daemon', 'plugin', 'scope', 'node', 'service', 'secret', 'config']);

/** `since`/`until` as Docker takes them: Unix seconds (with fraction), RFC 3339, or a Go duration before now. */
export function parseEventTime(v: string | null): bigint | undefined {
  if (v === null || v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) {
    const [sec = '0', frac = ''] = v.split('.');
    return BigInt(sec) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
  }
  const d = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v);
  if (d && v !== '') return (BigInt(Date.now()) - BigInt(((Number(d[1] ?? 0) * 60 + Number(d[2] ?? 0)) * 60 + Number(d[3] ?? 0)) * 1000)) * 1_000_000n;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgument(`failed to parse value ${v} as a timestamp`);
  return BigInt(t) * 1_000_000n;
}

/** Docker's event message, with the legacy status/id/from fields for containers and images. */
export function wireEvent(e: EngineEvent): Record<string, unknown> {
  const legacy = e.type === 'container' || e.type === 'image' ? { status: e.action, id: e.id, ...(e.attributes['image'] ? { from: e.attributes['image'] } : {}) } : {};
  return {
    ...legacy,
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.id, Attributes: e.attributes },
    scope: 'local',
    time: Number(e.timeNano / 1_000_000_000n),
    timeNano: Number(e.timeNano),
  };
}

export function eventRoutes(r: Router<Handler>, deps: EngineDeps): void {
  r.add('GET', '/events', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    for (const k of filters.keys()) if (!FILTERS.has(k)) throw new InvalidArgument(`invalid filter '${k}'`);
    const since = parseEventTime(ctx.query.get('since'));
    const until = parseEventTime(ctx.query.get('until'));
    if (since !== undefined && until !== undefined && until < since) throw new InvalidArgument('`since` time must be before `until` time');
    const res = ctx.startStream('application/json');
    const stream = deps.bus.subscribe({ ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), filters, signal: ctx.signal });
    for await (const e of stream) {
      if (!res.write(JSON.stringify(wireEvent(e)) + '\n')) await drainedOrClosed(res);
    }
    res.end();
  });
}
