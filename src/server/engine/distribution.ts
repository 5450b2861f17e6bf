import type { Handler, Router } from '../http/index.js';
import type { EngineDeps } from './deps.js';
import { param } from './containers.js';
import { credsOf, remotesOf } from './images-remote.js';

/**
 * `GET /distribution/{name}/json`: what the registry holds under a reference (the docker CLI's
 * platform checks, manifest tools), with the client's X-Registry-Auth; nothing is pulled.
 */
export function distributionRoutes(r: Router<Handler>, deps: EngineDeps): void {
  r.add('GET', '/distribution/{name:.*}/json', async (ctx) => {
    const creds = credsOf(ctx);
    const info = await remotesOf(deps).inspectDistribution(param(ctx, 'name'), { ...(creds ? { creds } : {}), signal: ctx.signal });
    ctx.sendJson(200, { Descriptor: info.descriptor, Platforms: info.platforms });
  });
}
