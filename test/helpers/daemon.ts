import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { makeBusyboxRootfs, tarDirectory } from './busybox.js';

const execFileP = promisify(execFile);
export const REPO = resolve(import.meta.dirname, '../../..');
export const BERTH = join(REPO, 'bin/berth');
export const BERTHD = join(REPO, 'bin/berthd');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The usual set-up of an end-to-end test file: a private berthd with busybox:latest, started before
 * its tests and, after them, checked for leftovers and removed. `set` receives the daemon.
 */
export function useBusyboxDaemon(set: (d: TestDaemon) => void, opts: { driver?: string; args?: string[]; cri?: boolean } = {}): void {
  let d: TestDaemon | undefined;
  before(async () => {
    d = await TestDaemon.start(opts);
    set(d);
    await d.makeBusyboxImage();
  });
  after(async () => {
    await d?.cleanup();
  });
}

/** A berthd of its own on a private data root, exec root and socket, for one test file. */
export class TestDaemon {
  proc: ChildProcess | null = null;
  readonly socket: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly logFile: string;

  private constructor(readonly dir: string) {
    this.socket = join(dir, 'berth.sock');
    this.dataRoot = join(dir, 'data');
    this.execRoot = join(dir, 'run');
    this.logFile = join(dir, 'berthd.log');
  }

  /**
   * `args`: more berthd flags (e.g. --userns-remap, --log-opt max-size=1m), kept for every spawn.
   * `cri`: serve the CRI on `criSocket` in the test's dir; off otherwise, so that the daemons of
   * other tests neither load the gRPC stack nor meet on /run/berth/cri.sock.
   * `config`: a daemon.json (made from the test's dir, for paths inside it), given with --config-file.
   * `beforeSpawn`: runs once the daemon's folders are chosen, before berthd starts (e.g. mounts a small filesystem on its data root).
   */
  static async start(
    opts: { driver?: string; args?: string[]; cri?: boolean; config?: (dir: string) => Record<string, unknown>; beforeSpawn?: (d: TestDaemon) => Promise<void> } = {},
  ): Promise<TestDaemon> {
    const d = new TestDaemon(await mkdtemp(join(tmpdir(), 'berth-e2e-')));
    if (opts.config) {
      await writeFile(join(d.dir, 'daemon.json'), JSON.stringify(opts.config(d.dir)));
      opts = { ...opts, args: [...(opts.args ?? []), '--config-file', join(d.dir, 'daemon.json')] };
    }
    d.driver = opts.driver;
    d.extraArgs = opts.args ?? [];
    d.cri = opts.cri ?? false;
    // A remapped container root must pass through the test dir to its rootfs (berthd checks it, as Docker does).
    if (d.extraArgs.includes('--userns-remap')) await chmod(d.dir, 0o711);
    try {
      await opts.beforeSpawn?.(d);
      await d.spawn();
    } catch (e) {
      // A daemon that did not come up still leaves nothing behind.
      await d.cleanup().catch(() => undefined);
      throw e;
    }
    return d;
  }

  driver: string | undefined;
  extraArgs: string[] = [];
  cri = false;

  get criSocket(): string {
    return join(this.dir, 'cri.sock');
  }

  /**
   * Each test daemon gets its own default bridge and subnets, so test files run in parallel without
   * sharing a bridge or an address: bridge bt<random>, --bip 10.X.Y.1/25, user networks from 10.X.Y.0/23.
   */
  readonly net = (() => {
    const x = 200 + Math.floor(Math.random() * 40);
    const y = 2 * Math.floor(Math.random() * 128);
    // And an IPv6 /48 of its own for IPv6 networks: fdXX:XXXX:XXXX:, subnets `${v6}N::/64`.
    const h = randomBytes(5).toString('hex');
    const v6 = `fd${h.slice(0, 2)}:${h.slice(2, 6)}:${h.slice(6, 10)}:`.replace(/:0+(?=[0-9a-f])/g, ':');
    return { bridge: `bt${randomBytes(4).toString('hex')}`, bip: `10.${x}.${y}.1/25`, pool: `base=10.${x}.${y}.0/23,size=26`, subnets: [`10.${x}.${y}.`, `10.${x}.${y + 1}.`], v6 };
  })();

  get env(): NodeJS.ProcessEnv {
    // DOCKER_HOST, not BERTH_HOST: berth never starts a daemon of its own on it, so a command sent
    // while the test's berthd is down (crashed on purpose) fails instead of leaving a stray berthd.
    return { ...process.env, BERTH_HOST: '', DOCKER_HOST: `unix://${this.socket}`, BERTH_DATA_ROOT: this.dataRoot, BERTH_EXEC_ROOT: this.execRoot };
  }

  async spawn(): Promise<void> {
    const { openSync, closeSync } = await import('node:fs');
    const fd = openSync(this.logFile, 'a');
    const args = ['-H', `unix://${this.socket}`, '--data-root', this.dataRoot, '--exec-root', this.execRoot, '--log-level', 'debug'];
    if (this.driver) args.push('--storage-driver', this.driver);
    if (!this.extraArgs.includes('--bip')) args.push('--bridge', this.net.bridge, '--bip', this.net.bip, '--default-address-pool', this.net.pool);
    args.push(...(this.cri ? ['--cri-socket', this.criSocket] : ['--cri=false']));
    args.push(...this.extraArgs);
    this.proc = spawn(BERTHD, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (await this.ping()) return;
      if (this.proc.exitCode !== null || Date.now() > deadline) {
        throw new Error(`berthd did not start: ${await readFile(this.logFile, 'utf8').catch(() => '')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  ping(): Promise<boolean> {
    return new Promise((res) => {
      const req = request({ socketPath: this.socket, path: '/_ping', method: 'GET', timeout: 1000 }, (r) => {
        r.resume();
        res(r.statusCode === 200);
      });
      req.on('error', () => res(false));
      req.end();
    });
  }

  /** kill -9 berthd (containers must survive). */
  async crash(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async stopDaemon(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (p.exitCode === null) p.kill('SIGKILL');
  }

  /** Runs a command with this daemon's environment; never throws on a non-zero exit. */
  async run(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolvePromise) => {
      const child = spawn(cmd, args, { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      let settled = false;
      const settle = (code: number, note = ''): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolvePromise({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() + note });
      };
      // Killed at its time limit; if something it started still holds its output open, the streams
      // are dropped a moment later, so that a test never waits on them for ever.
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          settle(137, `\n(${cmd} killed after ${opts.timeoutMs ?? 60_000} ms; its output was still held open)`);
        }, 5000).unref();
      }, opts.timeoutMs ?? 60_000);
      child.on('close', (code, signal) => settle(code ?? (signal ? 128 : 1)));
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? '');
    });
  }

  async berth(args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<RunResult> {
    return this.#remember(await this.run(BERTH, args, opts));
  }

  async docker(args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<RunResult> {
    return this.#remember(await this.run('docker', args, opts));
  }

  #remember(r: RunResult): RunResult {
    for (const m of r.stdout.matchAll(/\b[a-f0-9]{64}\b/g)) this.seenIds.add(m[0]);
    return r;
  }

  /** One Engine API call with a JSON body over the daemon's socket: the reply's status, text, and JSON (null when empty or not JSON). */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: string; json: unknown }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request({ socketPath: this.socket, method, path, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown = null;
          try {
            json = text.trim() ? (JSON.parse(text) as unknown) : null;
          } catch {
            /* not JSON: the text is in `body` */
          }
          resolve({ status: res.statusCode ?? 0, body: text, json });
        });
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  /** Imports busybox:latest (or `name`) made from the host's static busybox. */
  async makeBusyboxImage(name = 'busybox:latest'): Promise<void> {
    const root = join(this.dir, 'img-rootfs');
    makeBusyboxRootfs(root);
    const tar = join(this.dir, 'img.tar');
    tarDirectory(root, tar);
    await rm(root, { recursive: true, force: true });
    const r = await this.berth(['import', '--change', 'CMD ["sh"]', tar, name]);
    if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
  }

  /** Removes every container, stops berthd, checks that nothing is left mounted, deletes the root. */
  async cleanup(): Promise<void> {
    const ids = new Set<string>(this.seenIds);
    try {
      if (this.proc && this.proc.exitCode === null) {
        const live = (await this.berth(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
        for (const id of live) ids.add(id);
        if (live.length) await this.berth(['rm', '-f', ...live]);
        await this.api('POST', '/networks/prune').catch(() => undefined);
      }
    } finally {
      await this.stopDaemon();
      const net = await leftoverNetwork(this, ids);
      const mounts = await leftoverMounts(this.dir);
      for (const m of mounts.reverse()) await execFileP('umount', ['-l', m]).catch(() => undefined);
      const cgroups = leftoverCgroups(ids);
      const procs = await leftoverProcesses(this.dir);
      // BERTH_KEEP_TEST_DIR=1 keeps the daemon's log and data root for a look after a failure.
      if (process.env['BERTH_KEEP_TEST_DIR']) console.error(`kept ${this.dir}`);
      else await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
      if (mounts.length) throw new Error(`mounts left behind: ${mounts.join(', ')}`);
      if (cgroups.length) throw new Error(`cgroups left behind: ${cgroups.join(', ')}`);
      if (procs.length) throw new Error(`processes left behind: ${procs.join(', ')}`);
      if (net.length) throw new Error(`network state left behind: ${net.join('; ')}`);
    }
  }

  /** Container ids a test made, so cleanup can check that none of their cgroups stayed. */
  readonly seenIds = new Set<string>();
}

export async function leftoverMounts(under: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(under));
}

/** cgroup directories (any v1 controller or v2) still named after one of these containers. */
export function leftoverCgroups(ids: Set<string>): string[] {
  const out: string[] = [];
  let controllers: string[] = [];
  try {
    controllers = readdirSync('/sys/fs/cgroup');
  } catch {
    return out;
  }
  for (const c of controllers) {
    const base = join('/sys/fs/cgroup', c, 'berth');
    let names: string[] = [];
    try {
      names = readdirSync(base);
    } catch {
      continue;
    }
    for (const n of names) if (ids.has(n)) out.push(join(base, n));
  }
  return out;
}

/** Processes whose command line names this test's directory (conmon, runc, berthd). */
export async function leftoverProcesses(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (cmd.includes(dir) && !/^\d+ \([^)]*\) Z/.test(stat)) out.push(`${pid} ${cmd.replace(/\0/g, ' ').slice(0, 120)}`);
  }
  return out;
}

/** Polls until `fn` returns a truthy value or the time runs out. */
export async function eventually<T>(fn: () => Promise<T | undefined | false | null>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * What a test daemon's networking may leave: veths on its bridge, user bridges, iptables rules
 * naming its containers (CNI comments carry the container id), host-local allocations. The default
 * bridge itself stays with a stopped daemon, as docker0 does; the test owns it, so it is removed here.
 */
export async function leftoverNetwork(d: TestDaemon, ids: Set<string>): Promise<string[]> {
  const out: string[] = [];
  // A container's namespace takes its veth with it when it goes, in the kernel's background work: a moment.
  const portsOf = async (): Promise<string> => (await execFileP('ip', ['-o', 'link', 'show', 'master', d.net.bridge]).catch(() => ({ stdout: '' }))).stdout.trim();
  let links = await portsOf();
  for (let i = 0; links && i < 30; i++) {
    await new Promise((r) => setTimeout(r, 100));
    links = await portsOf();
  }
  if (links) out.push(`links on ${d.net.bridge}: ${links.split('\n').map((l) => l.split(':')[1]?.trim()).join(', ')}`);
  // The default bridge's masquerade rule stays too (as docker0's does); user networks' go with them.
  // The rule goes before its bridge (a rule naming no bridge is what system check takes for a leftover).
  const before = (await execFileP('iptables-save').catch(() => ({ stdout: '' }))).stdout;
  for (const line of before.split('\n')) {
    if (line.startsWith('-A POSTROUTING') && line.includes('berth ') && line.includes(` ! -o ${d.net.bridge} `)) {
      await execFileP('iptables', ['-w', '-t', 'nat', '-D', ...splitRule(line.slice(3))]).catch(() => undefined);
    }
  }
  const before6 = (await execFileP('ip6tables-save').catch(() => ({ stdout: '' }))).stdout;
  for (const line of before6.split('\n')) {
    if (line.startsWith('-A POSTROUTING') && line.includes('berth ') && line.includes(` ! -o ${d.net.bridge} `)) {
      await execFileP('ip6tables', ['-w', '-t', 'nat', '-D', ...splitRule(line.slice(3))]).catch(() => undefined);
    }
  }
  await execFileP('ip', ['link', 'del', d.net.bridge]).catch(() => undefined);
  const rules = (await execFileP('iptables-save').catch(() => ({ stdout: '' }))).stdout + (await execFileP('ip6tables-save').catch(() => ({ stdout: '' }))).stdout;
  for (const id of ids) {
    const lines = rules.split('\n').filter((l) => l.includes(id));
    if (lines.length) out.push(`iptables rules for ${id.slice(0, 12)}: ${lines.join(' | ')}`);
  }
  for (const line of rules.split('\n')) if (line.includes('berth ') && [...d.net.subnets, d.net.v6].some((p) => line.includes(`-s ${p}`))) out.push(`masquerade rule left: ${line}`);
  const ipamRoot = join(d.dataRoot, 'network', 'ipam');
  let nets: string[] = [];
  try {
    nets = readdirSync(ipamRoot);
  } catch {
    /* no network was ever used */
  }
  for (const n of nets) {
    const held = readdirSync(join(ipamRoot, n)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f) || /^[0-9a-f]*:[0-9a-f:]+$/.test(f));
    if (held.length) out.push(`IP addresses still allocated: ${held.join(', ')}`);
  }
  const routes = (await execFileP('ip', ['-o', 'route']).catch(() => ({ stdout: '' }))).stdout + (await execFileP('ip', ['-o', '-6', 'route']).catch(() => ({ stdout: '' }))).stdout;
  // A route into the daemon's /23 (or its IPv6 /48) means a bridge of one of its user networks is still up.
  for (const line of routes.split('\n')) if ([...d.net.subnets, d.net.v6].some((p) => line.startsWith(p))) out.push(`bridge left: ${line}`);
  return out;
}

/** An iptables-save rule line back into arguments (the comment is the only quoted part). */
function splitRule(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}
