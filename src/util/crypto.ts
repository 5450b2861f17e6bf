import { createRequire } from 'node:module';
import type * as NodeCrypto from 'node:crypto';

const load = createRequire(import.meta.url);

/**
 * node:crypto, loaded on first use rather than at import: loading it initialises OpenSSL, about 1 MB
 * of resident memory that a process which has not hashed anything yet (an idle registry) need not
 * carry. Node caches the module; each call after the first is a lookup.
 */
export function nodeCrypto(): typeof NodeCrypto {
  return load('node:crypto') as typeof NodeCrypto;
}
