import { InvalidArgument } from '../../errdefs/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';
import type { IdMapping } from '../../util/index.js';

/**
 * Sets the user namespace a new container gets: the daemon's remap unless it asks for `--userns=host`,
 * with Docker's checks and words for what cannot run inside a remapped namespace.
 */
export function applyUserns(rec: ContainerRecord, remap: IdMapping | undefined): void {
  const mode = rec.hostConfig.raw['UsernsMode'] ?? '';
  if (mode !== '' && mode !== 'host') throw new InvalidArgument(`invalid userns mode: ${JSON.stringify(mode)}: use "host" or leave it empty`);
  if (!remap || mode === 'host') return;
  if (rec.hostConfig.privileged) {
    throw new InvalidArgument('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode');
  }
  if (rec.hostConfig.networkMode === 'host') throw new InvalidArgument("cannot share the host's network namespace when user namespaces are enabled");
  if (rec.hostConfig.raw['PidMode'] === 'host') throw new InvalidArgument('cannot share the host PID namespace when user namespaces are enabled');
  rec.idMap = remap;
}
