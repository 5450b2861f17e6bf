import { createRequire } from 'node:module';
import type * as NodeCrypto from 'node:crypto';

let loaded: typeof NodeCrypto | undefined;

/**
 * node:crypto, loaded on first use rather than at import: loading it initialises OpenSSL, about 1 MB
 * of resident memory that a process which has not hashed anything yet (an idle registry) need not
 * carry. A `node:` id resolves the same from any path: a fixed one works in bundles too, where
 * import.meta.url is not set.
 */
export function nodeCrypto(): typeof NodeCrypto {
  return (loaded ??= createRequire('/')('node:crypto') as typeof NodeCrypto);
}
