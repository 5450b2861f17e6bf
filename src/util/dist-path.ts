import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A file of the build, by its path under dist/, wherever the code runs from: the compiled modules
 * (this one is dist/src/util/dist-path.js) or one of the bundles scripts/setup puts in dist/
 * (berthd's, the registry's, the pull worker's), whose banner sets `globalThis.__berthDist`. A
 * module cannot find its neighbours from its own import.meta.url once it is inside a bundle.
 */
export function distPath(rel: string): string {
  const bundled = (globalThis as { __berthDist?: string }).__berthDist;
  return bundled ? join(bundled, rel) : fileURLToPath(new URL(`../../${rel}`, import.meta.url));
}
