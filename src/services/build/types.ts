import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { Credentials } from '../images/index.js';

export interface BuildOptions {
  /** --platform: the platform the stages are built for (TARGETPLATFORM); unset: the host's. */
  platform?: string;
  /** The Dockerfile's path inside the context. */
  dockerfile: string;
  /** Full references to tag the result with. */
  tags: string[];
  /** --build-arg: a null value means "take it from the client's environment" and it was not set. */
  buildArgs: Record<string, string | null>;
  target?: string;
  noCache: boolean;
  quiet: boolean;
  pull: boolean;
  labels: Record<string, string>;
  /** The RUN containers' network (default, none, host, a network's name), --add-host entries and /dev/shm size. */
  networkMode: string;
  extraHosts: string[];
  shmSize?: number;
  /** rm=0: the RUN containers stay (stopped) after their step, as Docker leaves them. */
  keepContainers: boolean;
  /** --cache-from: images whose history may stand in for the local cache. */
  cacheFrom: string[];
  /** Registry credentials for pulling a base image (from X-Registry-Config). */
  credentials?: (image: string) => Credentials | undefined;
  signal: AbortSignal;
  /** --no-cache-filter: the stages (by name or index) built without the cache; the others may use it. */
  noCacheStages?: string[];
  /** --secret: id → value, for RUN --mount=type=secret (never in a layer, the config or the cache key). */
  secrets?: ReadonlyMap<string, Buffer>;
  /** --ssh: id → an SSH agent socket on the host, for RUN --mount=type=ssh. */
  ssh?: ReadonlyMap<string, string>;
  /** --allow: the entitlements granted (security.insecure, network.host). */
  entitlements?: string[];
  /** Progress as structured BuildKit-style steps (SolveStatus) instead of the classic text stream. */
  structured?: boolean;
}

/** One step of a build as BuildKit's progress names it (a vertex: `[stage k/n] INSTRUCTION`). */
export interface ProgressVertex {
  digest: string;
  name: string;
  /** RFC 3339 times; a vertex is running while started and not completed. */
  started?: string;
  completed?: string;
  cached?: boolean;
  error?: string;
}

/** Output of a vertex: `data` is base64 (as in BuildKit's SolveStatus JSON), stream 1 stdout, 2 stderr. */
export interface ProgressLog {
  vertex: string;
  stream: number;
  data: string;
  timestamp: string;
}

/** One update of the structured progress, in the shape of BuildKit's SolveStatus (what `--progress` gives as JSON). */
export interface SolveStatus {
  vertexes?: ProgressVertex[];
  logs?: ProgressLog[];
  warnings?: { vertex: string; short: string; level: number }[];
}

/** What the build says, in Docker's JSON message terms; `progress` only for structured builds. */
export type BuildMessage = { stream: string } | { aux: { ID: string } } | { progress: SolveStatus };

/** A COPY --from or a mount's from= that names neither a stage of the Dockerfile nor an image. */
export class UnknownSource extends NotFound {
  constructor(
    readonly source: string,
    options: { cause?: unknown; line?: number; original?: string } = {},
  ) {
    const where = options.line ? `Dockerfile line ${options.line} (${options.original ?? ''}): ` : '';
    const c = options.cause;
    const why = c instanceof Error ? ` (${c.message})` : '';
    super(`${where}no build stage and no image is named ${JSON.stringify(source)}${why}`, c !== undefined ? { cause: c } : undefined);
  }
}

/** A RUN whose command failed: the build fails with Docker's words and the command's exit code. */
export class RunFailed extends InvalidArgument {
  constructor(
    message: string,
    readonly exitCode: number,
    /** The command as run (argv joined), for BuildKit's words. */
    readonly command?: string,
  ) {
    super(message);
  }

  /** The same failure in BuildKit's words, for builds that report as BuildKit does. */
  buildkit(): RunFailed {
    if (this.command === undefined) return this;
    return new RunFailed(`process "${this.command}" did not complete successfully: exit code: ${this.exitCode}`, this.exitCode, this.command);
  }
}
