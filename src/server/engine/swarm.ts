import { NotImplemented, Unavailable } from '../../errdefs/index.js';
import type { Handler, Router } from '../http/index.js';

/** dockerd's answer to a manager-only request on a node that is in no swarm (daemon/cluster errNoManager). */
const NOT_A_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
/** dockerd's answer to a leave when the node is in no swarm (daemon/cluster errNoSwarm). */
const NOT_IN_A_SWARM = 'This node is not part of a swarm';

/** The swarm routes of dockerd, as a node outside any swarm answers them (Swarm.LocalNodeState "inactive"). */
const MANAGER_ROUTES: [method: string, path: string][] = [
  ['GET', '/swarm'],
  ['GET', '/swarm/unlockkey'],
  ['POST', '/swarm/update'],
  ['POST', '/swarm/unlock'],
  ['GET', '/services'],
  ['POST', '/services/create'],
  ['GET', '/services/{id}'],
  ['DELETE', '/services/{id}'],
  ['POST', '/services/{id}/update'],
  ['GET', '/services/{id}/logs'],
  ['GET', '/nodes'],
  ['GET', '/nodes/{id}'],
  ['DELETE', '/nodes/{id}'],
  ['POST', '/nodes/{id}/update'],
  ['GET', '/tasks'],
  ['GET', '/tasks/{id}'],
  ['GET', '/tasks/{id}/logs'],
  ['GET', '/secrets'],
  ['POST', '/secrets/create'],
  ['GET', '/secrets/{id}'],
  ['DELETE', '/secrets/{id}'],
  ['POST', '/secrets/{id}/update'],
  ['GET', '/configs'],
  ['POST', '/configs/create'],
  ['GET', '/configs/{id}'],
  ['DELETE', '/configs/{id}'],
  ['POST', '/configs/{id}/update'],
  // Updating a volume is for cluster (swarm) volumes only: dockerd asks its swarm manager.
  ['PUT', '/volumes/{name}'],
];

/**
 * berth runs no swarm, so it answers as dockerd does on a node that never joined one: 503 with
 * dockerd's words, which SDKs and test fixtures read to learn there is no swarm. Init and join would
 * make dockerd a swarm node; berth cannot, and says so.
 */
export function swarmRoutes(r: Router<Handler>): void {
  const notManager: Handler = () => {
    throw new Unavailable(NOT_A_MANAGER);
  };
  for (const [method, path] of MANAGER_ROUTES) r.add(method, path, notManager);
  r.add('POST', '/swarm/leave', () => {
    throw new Unavailable(NOT_IN_A_SWARM);
  });
  for (const what of ['init', 'join']) {
    r.add('POST', `/swarm/${what}`, () => {
      throw new NotImplemented(`berth does not run swarm mode: "docker swarm ${what}" is not supported`);
    });
  }
}
