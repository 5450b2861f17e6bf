/** The Engine API version berthd advertises (the `API-Version` header, `GET /version`). */
export const API_VERSION = '1.47';
/** The oldest version berthd accepts in a path prefix. */
export const MIN_API_VERSION = '1.24';

/** Compares dotted API versions numerically: -1, 0 or 1. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The version a client should use: its own, lowered to what the server offers (as the docker CLI does). */
export function negotiateApiVersion(clientMax: string, serverAdvertised: string): string {
  if (serverAdvertised === '') return clientMax;
  return compareApiVersions(serverAdvertised, clientMax) < 0 ? serverAdvertised : clientMax;
}
