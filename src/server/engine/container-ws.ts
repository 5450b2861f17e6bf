import { compareApiVersions } from '../../api/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import { WebSocketStream, webSocketRefusal, type Handler, type Router } from '../http/index.js';
import { attachContainer } from './container-streams.js';
import { param } from './containers.js';
import type { EngineDeps } from './deps.js';

/**
 * `GET /containers/{id}/attach/ws`: attach over a WebSocket (browsers, web terminals). As dockerd
 * does, stdout and stderr go out unframed in binary messages (text before API 1.28), the client's
 * messages are the container's stdin, and `stream`/`logs` choose live output and the past log.
 */
export function containerWsRoutes(r: Router<Handler>, deps: EngineDeps): void {
  r.add('GET', '/containers/{id}/attach/ws', async (ctx) => {
    deps.containers.get(param(ctx, 'id')); // 404 before the upgrade is answered
    const refusal = webSocketRefusal(ctx.req);
    const up = refusal === null ? ctx.takeUpgrade() : null;
    if (!up) throw new InvalidArgument(`a WebSocket attach needs a WebSocket upgrade: ${refusal ?? 'expected an Upgrade: websocket request'}`);
    const binary = compareApiVersions(ctx.version, '1.28') >= 0;
    await attachContainer(ctx, deps, {
      open: () => WebSocketStream.accept(ctx.req, up.socket, up.head, { binary, headers: up.headers }),
      raw: true,
      follow: ctx.bool('stream'),
    });
  });
}
