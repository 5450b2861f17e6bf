import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Conflict, InvalidArgument, Unavailable } from '../../errdefs/index.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

/** The parts of a CNI 1.0 result berth reads. */
export interface CniResult {
  cniVersion?: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { interface?: number; address: string; gateway?: string }[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

export interface CniRuntime {
  containerId: string;
  netns: string;
  ifname: string;
  /** CNI_ARGS pairs, e.g. IP=10.0.0.5 for host-local, MAC=… for bridge. */
  args?: Record<string, string>;
}

export const CNI_VERSION = '1.0.0';

/**
 * Runs one CNI plugin as the spec says: the command and container in the environment, the network
 * configuration on stdin, a result or an error object on stdout.
 */
export function invokePlugin(pluginDir: string, conf: Record<string, unknown>, command: CniCommand, rt: CniRuntime): Promise<CniResult | undefined> {
  const type = String(conf['type']);
  const args = Object.entries(rt.args ?? {});
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: rt.containerId,
    CNI_NETNS: rt.netns,
    CNI_IFNAME: rt.ifname,
    CNI_PATH: pluginDir,
    ...(args.length ? { CNI_ARGS: ['IgnoreUnknown=1', ...args.map(([k, v]) => `${k}=${v}`)].join(';') } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(join(pluginDir, type), [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new Unavailable(`CNI plugin ${type}: ${e.message}`, { cause: e })));
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString();
      if (code === 0) {
        resolve(text.trim() ? (JSON.parse(text) as CniResult) : undefined);
        return;
      }
      let msg = Buffer.concat(err).toString().trim() || `exit code ${code}`;
      try {
        const j = JSON.parse(text) as { msg?: string; details?: string };
        if (j.msg) msg = j.details ? `${j.msg}: ${j.details}` : j.msg;
      } catch {
        /* not JSON: keep stderr */
      }
      reject(pluginError(type, command, msg));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify({ cniVersion: CNI_VERSION, ...conf }));
  });
}

function pluginError(type: string, command: CniCommand, msg: string): Error {
  const text = `CNI ${type} ${command}: ${msg}`;
  if (/has been allocated|not available|already in use|duplicate allocation/i.test(msg)) return new Conflict(text);
  if (/invalid|not in|out of range/i.test(msg)) return new InvalidArgument(text);
  return new Unavailable(text);
}
