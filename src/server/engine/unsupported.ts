import { NotFound, NotImplemented } from '../../errdefs/index.js';
import type { Handler, Router } from '../http/index.js';
import { param } from './containers.js';

const NO_PLUGINS = 'berth runs no Docker Engine plugins: installing, creating and pushing plugins is not supported';

/**
 * What berth answers for the Engine API's plugin and BuildKit-session endpoints. berth runs no
 * plugins: it lists none, and a named one is not found, in dockerd's words for a plugin that is not
 * installed; installing, creating or pushing one is refused. It builds through POST /build, not
 * through a BuildKit session.
 */
export function unsupportedRoutes(r: Router<Handler>): void {
  r.add('GET', '/plugins', (ctx) => ctx.sendJson(200, []));
  const refuse: Handler = () => {
    throw new NotImplemented(NO_PLUGINS);
  };
  for (const [method, path] of [
    ['GET', '/plugins/privileges'],
    ['POST', '/plugins/pull'],
    ['POST', '/plugins/create'],
  ] as const) r.add(method, path, refuse);
  const missing: Handler = (ctx) => {
    throw new NotFound(`plugin "${param(ctx, 'name')}" not found`);
  };
  for (const [method, path] of [
    ['GET', '/plugins/{name:.*}/json'],
    ['DELETE', '/plugins/{name:.*}'],
    ['POST', '/plugins/{name:.*}/enable'],
    ['POST', '/plugins/{name:.*}/disable'],
    ['POST', '/plugins/{name:.*}/upgrade'],
    ['POST', '/plugins/{name:.*}/push'],
    ['POST', '/plugins/{name:.*}/set'],
  ] as const) r.add(method, path, missing);
  r.add('POST', '/session', () => {
    throw new NotImplemented('BuildKit sessions are not supported: berth builds through POST /build (the classic builder endpoint)');
  });
}
