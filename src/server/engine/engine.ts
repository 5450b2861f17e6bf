import { InvalidArgument } from '../../errdefs/index.js';
import { API_VERSION, compareApiVersions as compareVersions, MIN_API_VERSION } from '../../api/index.js';
import { HttpServer, Router, type Handler } from '../http/index.js';
import { containerRoutes } from './containers.js';
import type { EngineDeps } from './deps.js';
import { messageOf, statusOf } from './errors.js';
import { imageRoutes } from './images.js';
import { systemRoutes } from './system.js';
import { eventRoutes } from './events.js';
import { containerOpsRoutes } from './container-ops.js';
import { volumeRoutes } from './volumes.js';
import { containerFsRoutes } from './container-fs.js';
import { imageRemoteRoutes } from './images-remote.js';
import { execRoutes } from './exec.js';
import { containerTtyRoutes } from './container-tty.js';
import { networkRoutes } from './networks.js';
import { buildRoutes } from './build.js';
import { systemCheckRoutes } from './system-check.js';
import { swarmRoutes } from './swarm.js';
import { unsupportedRoutes } from './unsupported.js';
import { distributionRoutes } from './distribution.js';
import { systemDfRoutes } from './system-df.js';
import { containerWsRoutes } from './container-ws.js';
import { checkpointRoutes } from './checkpoints.js';

export { API_VERSION, MIN_API_VERSION };

export function engineRouter(deps: EngineDeps): Router<Handler> {
  const r = new Router<Handler>();
  const { fs } = deps;
  systemRoutes(r, deps);
  // Before containerRoutes: its DELETE /containers/{id:.*} would take .../checkpoints/NAME.
  checkpointRoutes(r, deps);
  containerRoutes(r, deps, fs);
  imageRoutes(r, deps);
  eventRoutes(r, deps);
  containerOpsRoutes(r, deps);
  volumeRoutes(r, deps);
  containerFsRoutes(r, deps, fs);
  imageRemoteRoutes(r, deps);
  execRoutes(r, deps);
  containerTtyRoutes(r, deps);
  networkRoutes(r, deps);
  buildRoutes(r, deps);
  systemCheckRoutes(r, deps);
  swarmRoutes(r);
  unsupportedRoutes(r);
  distributionRoutes(r, deps);
  systemDfRoutes(r, deps, fs, deps.builds);
  containerWsRoutes(r, deps);
  return r;
}

/** The Docker Engine API over HTTP: routing, version negotiation, and errors as Docker sends them. */
export function createEngineServer(deps: EngineDeps): HttpServer {
  return new HttpServer({
    router: engineRouter(deps),
    headers: {
      'Api-Version': API_VERSION,
      // The docker CLI shows `checkpoint` and `start --checkpoint` only to a daemon that says true here.
      'Docker-Experimental': String(deps.system.experimental === true),
      Ostype: 'linux',
      Server: `Docker/${deps.system.version} (linux)`,
    },
    negotiate(requested) {
      if (requested === null) return API_VERSION;
      if (compareVersions(requested, API_VERSION) > 0) {
        throw new InvalidArgument(`client version ${requested} is too new. Maximum supported API version is ${API_VERSION}`);
      }
      if (compareVersions(requested, MIN_API_VERSION) < 0) {
        throw new InvalidArgument(`client version ${requested} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
      }
      return requested;
    },
    onError(ctx, err) {
      const status = statusOf(err);
      if (status >= 500) deps.log(`${ctx.req.method} ${ctx.req.url} failed`, err);
      if (status === 304) return ctx.sendStatus(304);
      ctx.sendJson(status, { message: messageOf(err) });
    },
    onNotFound(ctx, kind) {
      if (kind === 'method-not-allowed') return ctx.sendJson(405, { message: 'Method Not Allowed' });
      ctx.sendJson(404, { message: `page not found` });
    },
  });
}
