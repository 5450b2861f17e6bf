import type { CliContext } from '../context.js';
import { errorLine } from '../errors.js';
import { renderFormat } from '../format/formatter.js';
import {
  checkContextName, contextExists, currentContextName, DEFAULT_CONTEXT, defaultContext, getContext, listContexts,
  metadataPath, removeContext, saveContext, selectedContext, setCurrentContext, tlsPath, type ContextMeta,
} from '../contexts.js';

const HEADERS = { Name: 'NAME', Description: 'DESCRIPTION', DockerEndpoint: 'DOCKER ENDPOINT', Error: 'ERROR', Current: '' };
const TABLE = 'table {{.Name}}{{if .Current}} *{{end}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}';

function fail(ctx: CliContext, e: unknown): number {
  ctx.err(`${errorLine(e)}\n`);
  return 1;
}

/** `--docker host=unix:///path[,skip-tls-verify=true]`: only a unix socket host; TLS material is refused. */
function dockerEndpoint(specs: string[]): { Host: string; SkipTLSVerify: boolean } | undefined {
  if (specs.length === 0) return undefined;
  let host: string | undefined;
  let skip = false;
  for (const part of specs.join(',').split(',')) {
    const [k = '', ...rest] = part.split('=');
    const v = rest.join('=');
    if (k === 'host') host = v;
    else if (k === 'skip-tls-verify') skip = v === 'true' || v === '1';
    else if (['ca', 'cert', 'key'].includes(k)) throw new Error(`--docker ${k}: TLS endpoints are not supported by berth (unix sockets only)`);
    else if (k === 'from') throw new Error('--docker from=: use --from');
    else throw new Error(`unable to create docker endpoint config: unrecognized config key: ${k}`);
  }
  if (host === undefined || host === '') throw new Error('unable to create docker endpoint config: host is required');
  if (!host.startsWith('unix://')) throw new Error(`unable to create docker endpoint config: unsupported host "${host}": berth speaks to unix:// sockets only`);
  return { Host: host, SkipTLSVerify: skip };
}

export async function contextCreate(ctx: CliContext, name: string, opts: { description?: string; docker?: string[]; from?: string }): Promise<number> {
  try {
    checkContextName(name);
    if (contextExists(ctx.env, name)) throw new Error(`context "${name}" already exists`);
    const ep = dockerEndpoint(opts.docker ?? []);
    // Without --docker the docker CLI copies the current (or --from) context's endpoint and description.
    const from = ep ? undefined : getContext(ctx.env, opts.from ?? selectedContext(ctx.options, ctx.env));
    const meta: ContextMeta = {
      Name: name,
      Metadata: { ...(opts.description !== undefined ? { Description: opts.description } : from?.Metadata.Description !== undefined ? { Description: from.Metadata.Description } : {}) },
      Endpoints: { docker: ep ?? { Host: String(from?.Endpoints.docker?.Host ?? ''), SkipTLSVerify: from?.Endpoints.docker?.SkipTLSVerify === true } },
    };
    saveContext(ctx.env, meta);
  } catch (e) {
    return fail(ctx, e);
  }
  ctx.out(`${name}\n`);
  ctx.err(`Successfully created context "${name}"\n`);
  return 0;
}

export async function contextList(ctx: CliContext, opts: { format?: string; quiet?: boolean }): Promise<number> {
  let rows: { Name: string; Description: string; DockerEndpoint: string; Error: string; Current: boolean }[];
  try {
    const current = selectedContext(ctx.options, ctx.env);
    const def = defaultContext(ctx.env);
    rows = [def, ...listContexts(ctx.env)].map((m) => ({
      Name: m.Name,
      Description: String(m.Metadata.Description ?? ''),
      DockerEndpoint: String(m.Endpoints.docker?.Host ?? ''),
      Error: '',
      Current: m.Name === current,
    })).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  } catch (e) {
    return fail(ctx, e);
  }
  if (opts.quiet) {
    ctx.out(rows.map((r) => `${r.Name}\n`).join(''));
    return 0;
  }
  const format = opts.format ?? 'table';
  if (format === 'json') {
    // Go's encoding of the docker CLI's row: keys in alphabetical order.
    ctx.out(rows.map((r) => `${JSON.stringify({ Current: r.Current, Description: r.Description, DockerEndpoint: r.DockerEndpoint, Error: r.Error, Name: r.Name })}\n`).join(''));
    return 0;
  }
  ctx.out(renderFormat(format === 'table' ? TABLE : format, rows, HEADERS));
  return 0;
}

export async function contextUse(ctx: CliContext, name: string): Promise<number> {
  try {
    if (!contextExists(ctx.env, name)) throw new Error(`context "${name}": context not found`);
    setCurrentContext(ctx.env, name);
  } catch (e) {
    return fail(ctx, e);
  }
  ctx.out(`${name}\n`);
  ctx.err(`Current context is now "${name}"\n`);
  if (name !== DEFAULT_CONTEXT && ctx.env['DOCKER_HOST']) {
    ctx.err(`Warning: DOCKER_HOST environment variable overrides the active context. To use "${name}", either set the global --context flag, or unset DOCKER_HOST environment variable.\n`);
  }
  return 0;
}

export async function contextInspect(ctx: CliContext, names: string[], opts: { format?: string }): Promise<number> {
  let out: Record<string, unknown>[];
  try {
    const wanted = names.length ? names : [selectedContext(ctx.options, ctx.env)];
    out = wanted.map((n) => {
      const m = getContext(ctx.env, n);
      return {
        Name: m.Name,
        Metadata: n === DEFAULT_CONTEXT ? {} : m.Metadata,
        Endpoints: m.Endpoints,
        TLSMaterial: {},
        Storage: { MetadataPath: metadataPath(ctx.env, n), TLSPath: tlsPath(ctx.env, n) },
      };
    });
  } catch (e) {
    return fail(ctx, e);
  }
  if (opts.format) {
    ctx.out(renderFormat(opts.format, out, {}));
    return 0;
  }
  // Go's json.MarshalIndent escapes < and > as the docker CLI prints them.
  ctx.out(`${JSON.stringify(out, null, 4).replace(/</g, '\\u003c').replace(/>/g, '\\u003e')}\n`);
  return 0;
}

export async function contextRemove(ctx: CliContext, names: string[], opts: { force?: boolean }): Promise<number> {
  const current = currentContextName(ctx.env);
  let code = 0;
  for (const n of names) {
    try {
      if (n === DEFAULT_CONTEXT) throw new Error('default: context "default" cannot be removed');
      if (!contextExists(ctx.env, n)) throw new Error(`context "${n}" does not exist`);
      if (n === current) {
        if (!opts.force) throw new Error(`context "${n}" is in use, set -f flag to force remove`);
        setCurrentContext(ctx.env, DEFAULT_CONTEXT);
      }
      removeContext(ctx.env, n);
      ctx.out(`${n}\n`);
    } catch (e) {
      code = fail(ctx, e);
    }
  }
  return code;
}

export async function contextShow(ctx: CliContext): Promise<number> {
  ctx.out(`${selectedContext(ctx.options, ctx.env)}\n`);
  return 0;
}
