import { InvalidArgument } from '../../errdefs/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';
import type { IdMapping } from '../../util/index.js';

/**
 * Sets the user namespace a new container gets: the daemon's remap unless it asks for `--userns=host`,
 * with Docker's checks and words for what cannot run inside a remapped namespace.
 */
export function applyUserns(rec: ContainerRecord, remap: IdMapping | undefined): void {
  if (!remap || rec.spec.namespaces.user.mode === 'host') return;
  if (rec.spec.security.privileged) {
    throw new InvalidArgument('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode');
  }
  if (rec.spec.namespaces.network.mode === 'host') throw new InvalidArgument("cannot share the host's network namespace when user namespaces are enabled");
  if (rec.spec.namespaces.pid.mode === 'host') throw new InvalidArgument('cannot share the host PID namespace when user namespaces are enabled');
  rec.idMap = remap;
}
