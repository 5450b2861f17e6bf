import { NotFound, isNotFound } from '../../errdefs/index.js';
import type { ContainerRecord } from '../../services/index.js';
import type { CriDeps } from './deps.js';

/** A container of the CRI's namespace by id or prefix; NotFound in the words kubelet expects. */
export function criContainer(deps: CriDeps, id: string): ContainerRecord {
  return deps.containers.inNamespace(deps.config.namespace, () => {
    try {
      return deps.containers.get(id);
    } catch (e) {
      if (isNotFound(e)) throw new NotFound(`container ${id} not found`, { cause: e });
      throw e;
    }
  });
}
