import type { EngineApi } from '../api/index.js';
import { resolveEndpoint } from './contexts.js';

export interface GlobalOptions {
  host?: string;
  /** docker's --context: the endpoint of a context in the docker CLI's store. */
  context?: string;
  debug?: boolean;
}

/** What every command needs: the streams, and an API client connected on first use. */
export class CliContext {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly env: NodeJS.ProcessEnv;
  private readonly globals: GlobalOptions;
  private apiPromise: Promise<EngineApi> | undefined;

  constructor(globals: GlobalOptions, io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; stdin: NodeJS.ReadStream; env: NodeJS.ProcessEnv }) {
    this.globals = globals;
    this.stdout = io.stdout;
    this.stderr = io.stderr;
    this.stdin = io.stdin;
    this.env = io.env;
  }

  /** The global flags (-H, --context), for commands that report which endpoint is in use. */
  get options(): GlobalOptions {
    return this.globals;
  }

  get debug(): boolean {
    return this.globals.debug === true;
  }

  /** The client, with berthd started first when berth may and must. */
  api(): Promise<EngineApi> {
    this.apiPromise ??= (async () => {
      const host = resolveEndpoint(this.globals, this.env);
      const { EngineApi } = await import('../api/index.js');
      const api = new EngineApi({ socketPath: host.socketPath });
      const { ensureDaemon } = await import('./autostart.js');
      await ensureDaemon(api, host.socketPath, host.autostart, this.env);
      return api;
    })();
    return this.apiPromise;
  }

  out(text: string): void {
    this.stdout.write(text);
  }
  err(text: string): void {
    this.stderr.write(text);
  }

  close(): void {
    void this.apiPromise?.then((a) => a.close(), () => undefined);
  }
}
