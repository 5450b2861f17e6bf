import type { Duplex } from 'node:stream';
import type { EngineApi } from './engine-api.js';

/** POST /containers/{id}/exec body. */
export interface ExecCreateRequest {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  Env?: string[];
  Cmd: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

/** GET /exec/{id}/json */
export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user?: string };
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  Pid: number;
}

const enc = encodeURIComponent;

export function execCreate(api: EngineApi, container: string, body: ExecCreateRequest): Promise<{ Id: string }> {
  return api.client.json('POST', `/containers/${enc(container)}/exec`, { body });
}

/** Starts detached: resolves once the process runs. */
export async function execStartDetached(api: EngineApi, id: string, tty: boolean): Promise<void> {
  await api.client.call('POST', `/exec/${enc(id)}/start`, { body: { Detach: true, Tty: tty } });
}

/** Starts attached: the hijacked connection carries stdin one way and the output the other. */
export function execStartAttached(api: EngineApi, id: string, tty: boolean, consoleSize?: [number, number]): Promise<Duplex> {
  return api.client.hijack('POST', `/exec/${enc(id)}/start`, { Detach: false, Tty: tty, ...(consoleSize ? { ConsoleSize: consoleSize } : {}) });
}

export function execInspect(api: EngineApi, id: string): Promise<ExecInspect> {
  return api.client.json('GET', `/exec/${enc(id)}/json`);
}

export async function execResize(api: EngineApi, id: string, h: number, w: number): Promise<void> {
  await api.client.call('POST', `/exec/${enc(id)}/resize`, { query: { h, w } });
}
