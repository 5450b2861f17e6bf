/**
 * A tiny method + path router. Patterns use `{name}` for one path segment and `{name:.*}` for
 * the rest of a path, because image names carry slashes (`/images/localhost:5000/a/b/json`).
 */
export interface RouteMatch<H> {
  handler: H;
  params: Record<string, string>;
}

interface Route<H> {
  method: string;
  re: RegExp;
  names: string[];
  handler: H;
}

export class Router<H> {
  readonly #routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    const names: string[] = [];
    const source = pattern
      .split(/(\{[a-zA-Z]+(?::\.\*)?\})/)
      .map((part) => {
        const m = /^\{([a-zA-Z]+)(:\.\*)?\}$/.exec(part);
        if (!m) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        names.push(m[1] as string);
        return m[2] ? '(.+)' : '([^/]+)';
      })
      .join('');
    this.#routes.push({ method: method.toUpperCase(), re: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  /** The first route that matches; `methodNotAllowed` when the path matched under another method only. */
  match(method: string, path: string): RouteMatch<H> | 'not-found' | 'method-not-allowed' {
    let pathMatched = false;
    const m = method.toUpperCase() === 'HEAD' ? ['HEAD', 'GET'] : [method.toUpperCase()];
    for (const want of m) {
      for (const route of this.#routes) {
        const found = route.re.exec(path);
        if (!found) continue;
        if (route.method !== want) {
          pathMatched = true;
          continue;
        }
        const params: Record<string, string> = {};
        route.names.forEach((n, i) => {
          params[n] = decodeURIComponent(found[i + 1] ?? '');
        });
        return { handler: route.handler, params };
      }
    }
    return pathMatched ? 'method-not-allowed' : 'not-found';
  }
}

/** Splits `/v1.41/containers/json` into the version and the path; no prefix gives version null. */
export function stripVersion(path: string): { version: string | null; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
  if (!m) return { version: null, path };
  return { version: m[1] as string, path: m[2] as string };
}
