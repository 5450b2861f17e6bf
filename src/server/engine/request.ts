import { InvalidArgument } from '../../errdefs/index.js';
import type { HttpContext } from '../http/index.js';

/** A JSON request body; an empty body is `{}`. Malformed JSON is a 400 with the parser's words. */
export async function jsonBody(ctx: HttpContext): Promise<Record<string, unknown>> {
  return parseJsonObject(await ctx.readBody());
}

/** A JSON object from bytes already read; empty is `{}`. */
export function parseJsonObject(buf: Buffer): Record<string, unknown> {
  if (buf.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new InvalidArgument(`invalid JSON body: ${(e as Error).message}`, { cause: e });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgument('invalid JSON body: expected an object');
  return v as Record<string, unknown>;
}

/** `filters` in both forms clients send: {"label":{"a=b":true}} and {"label":["a=b"]}. */
export function parseFilters(raw: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!raw) return out;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new InvalidArgument(`invalid filter: ${(e as Error).message}`, { cause: e });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgument('invalid filter: expected a JSON object');
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (Array.isArray(val)) out.set(k, val.map(String));
    else if (val && typeof val === 'object') out.set(k, Object.entries(val as Record<string, unknown>).filter(([, on]) => on !== false).map(([s]) => s));
    else throw new InvalidArgument(`invalid filter: value of '${k}' must be a list or a map`);
  }
  return out;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function strList(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgument(`json: cannot unmarshal ${typeof v} into field ${field} of type []string`);
  return v;
}

export function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

export function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function strMap(v: unknown): Record<string, string> | undefined {
  const o = obj(v);
  if (!o) return undefined;
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, String(x)]));
}

/**
 * A body's keys under the field names given, matched as Go's encoding/json matches them (an exact
 * name, else any case: docker-py sends exec's "detachKeys"); when two keys match one field the later
 * wins, as it does for dockerd. Keys matching no name are kept as they are.
 */
export function goFields(body: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    const name = names.includes(k) ? k : names.find((n) => n.toLowerCase() === k.toLowerCase());
    out[name ?? k] = v;
  }
  return out;
}
