import { InvalidArgument } from '../../errdefs/index.js';
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
}

/** What the build says, in Docker's JSON message terms. */
export type BuildMessage = { stream: string } | { aux: { ID: string } };

/** A RUN whose command failed: the build fails with Docker's words and the command's exit code. */
export class RunFailed extends InvalidArgument {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
