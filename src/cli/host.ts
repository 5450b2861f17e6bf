import { InvalidArgument } from '../errdefs/index.js';

export const DEFAULT_SOCKET = '/run/berth/berth.sock';

export interface HostChoice {
  socketPath: string;
  /** berth may start berthd itself only for its own socket: the default one or BERTH_HOST. */
  autostart: boolean;
}

function socketOf(host: string, from: string): string {
  if (host.startsWith('unix://')) {
    const p = host.slice('unix://'.length);
    if (p === '') throw new InvalidArgument(`invalid ${from}: unix:// needs a socket path`);
    return p;
  }
  if (host.startsWith('/')) return host;
  throw new InvalidArgument(`unsupported host "${host}" in ${from}: only unix:// sockets are supported`);
}

/** `-H` first, then BERTH_HOST, then DOCKER_HOST, then <BERTH_EXEC_ROOT>/berth.sock or the default socket. */
export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv): HostChoice {
  if (flag !== undefined && flag !== '') return { socketPath: socketOf(flag, '-H'), autostart: false };
  const berthHost = env['BERTH_HOST'];
  if (berthHost !== undefined && berthHost !== '') return { socketPath: socketOf(berthHost, 'BERTH_HOST'), autostart: true };
  const dockerHost = env['DOCKER_HOST'];
  if (dockerHost !== undefined && dockerHost !== '') return { socketPath: socketOf(dockerHost, 'DOCKER_HOST'), autostart: false };
  // berthd's own default is <exec-root>/berth.sock; follow BERTH_EXEC_ROOT so both agree.
  const execRoot = env['BERTH_EXEC_ROOT'];
  if (execRoot !== undefined && execRoot !== '') return { socketPath: `${execRoot.replace(/\/+$/, '')}/berth.sock`, autostart: true };
  return { socketPath: DEFAULT_SOCKET, autostart: true };
}
