/*
 * The Engine API 1.47's endpoints (its swagger's paths, with POST /build/cancel that dockerd also
 * routes), by group, for the README's table: which of them berth routes is read from its routers
 * by scripts/flags-table.mjs.
 */
export const DOCKER_ENDPOINTS: readonly (readonly [group: string, method: string, path: string])[] = [
  ...(['GET /containers/json', 'POST /containers/create', 'GET /containers/{id}/json', 'GET /containers/{id}/top', 'GET /containers/{id}/logs',
    'GET /containers/{id}/changes', 'GET /containers/{id}/export', 'GET /containers/{id}/stats', 'POST /containers/{id}/resize',
    'POST /containers/{id}/start', 'POST /containers/{id}/stop', 'POST /containers/{id}/restart', 'POST /containers/{id}/kill',
    'POST /containers/{id}/update', 'POST /containers/{id}/rename', 'POST /containers/{id}/pause', 'POST /containers/{id}/unpause',
    'POST /containers/{id}/attach', 'GET /containers/{id}/attach/ws', 'POST /containers/{id}/wait', 'DELETE /containers/{id}',
    'HEAD /containers/{id}/archive', 'GET /containers/{id}/archive', 'PUT /containers/{id}/archive', 'POST /containers/prune'].map((e) => ['Container', e])),
  ...(['GET /images/json', 'POST /build', 'POST /build/prune', 'POST /build/cancel', 'POST /images/create', 'GET /images/{name}/json',
    'GET /images/{name}/history', 'POST /images/{name}/push', 'POST /images/{name}/tag', 'DELETE /images/{name}', 'GET /images/search',
    'POST /images/prune', 'POST /commit', 'GET /images/{name}/get', 'GET /images/get', 'POST /images/load'].map((e) => ['Image', e])),
  ...(['GET /networks', 'GET /networks/{id}', 'DELETE /networks/{id}', 'POST /networks/create', 'POST /networks/{id}/connect',
    'POST /networks/{id}/disconnect', 'POST /networks/prune'].map((e) => ['Network', e])),
  ...(['GET /volumes', 'POST /volumes/create', 'GET /volumes/{name}', 'PUT /volumes/{name}', 'DELETE /volumes/{name}', 'POST /volumes/prune'].map((e) => ['Volume', e])),
  ...(['POST /containers/{id}/exec', 'POST /exec/{id}/start', 'POST /exec/{id}/resize', 'GET /exec/{id}/json'].map((e) => ['Exec', e])),
  ...(['POST /auth', 'GET /info', 'GET /version', 'GET /_ping', 'HEAD /_ping', 'GET /events', 'GET /system/df'].map((e) => ['System', e])),
  ['Distribution', 'GET /distribution/{name}/json'],
  ['Session', 'POST /session'],
  ...(['GET /swarm', 'POST /swarm/init', 'POST /swarm/join', 'POST /swarm/leave', 'POST /swarm/update', 'GET /swarm/unlockkey', 'POST /swarm/unlock',
    'GET /nodes', 'GET /nodes/{id}', 'DELETE /nodes/{id}', 'POST /nodes/{id}/update',
    'GET /services', 'POST /services/create', 'GET /services/{id}', 'DELETE /services/{id}', 'POST /services/{id}/update', 'GET /services/{id}/logs',
    'GET /tasks', 'GET /tasks/{id}', 'GET /tasks/{id}/logs',
    'GET /secrets', 'POST /secrets/create', 'GET /secrets/{id}', 'DELETE /secrets/{id}', 'POST /secrets/{id}/update',
    'GET /configs', 'POST /configs/create', 'GET /configs/{id}', 'DELETE /configs/{id}', 'POST /configs/{id}/update'].map((e) => ['Swarm', e])),
  ...(['GET /plugins', 'GET /plugins/privileges', 'POST /plugins/pull', 'GET /plugins/{name}/json', 'DELETE /plugins/{name}',
    'POST /plugins/{name}/enable', 'POST /plugins/{name}/disable', 'POST /plugins/{name}/upgrade', 'POST /plugins/create',
    'POST /plugins/{name}/push', 'POST /plugins/{name}/set'].map((e) => ['Plugin', e])),
].map(([group, e]) => {
  const [method, path] = (e as string).split(' ');
  return [group as string, method as string, path as string] as const;
});
