import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult, TestDaemon } from './daemon.js';
import { makeBusyboxRootfs, tarDirectory } from './busybox.js';
import { conmonOf, containerFaults, sleep, strayContainerMounts, type CrashCtx, type CrashOp } from './crash.js';

/*
 * The operations the crash suite interrupts, each with its judge (whole or absent after the kill),
 * its retry and its reset. `prepareWorld` makes what they share once: a registry image with a layer
 * of a few MB (so a pull or a push lasts long enough to be cut), its saved archive, a rootfs tarball,
 * a build context.
 */

export interface World {
  d: TestDaemon;
  /** 127.0.0.1:PORT of a distribution registry holding crash/pullme:1 */
  reg: string;
  /** a local image of two random layers */
  big: string;
  /** in the registry only */
  pullme: string;
  saved: string;
  rootfsTar: string;
  ctx: string;
  /** megabytes of random data in the big layer */
  mb: number;
}

const pass: RunResult = { code: 0, stdout: '', stderr: '' };

async function must(d: TestDaemon, args: string[]): Promise<string> {
  const r = await d.berth(args, { timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`berth ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function exists(d: TestDaemon, kind: 'image' | 'container' | 'volume' | 'network', name: string): Promise<boolean> {
  return (await d.berth([kind, 'inspect', name])).code === 0;
}

/** An image that is listed must be whole: its layers unpack and a container of it runs. */
async function imageWholeOrAbsent(d: TestDaemon, ref: string): Promise<string[]> {
  if (!(await exists(d, 'image', ref))) return [];
  const r = await d.berth(['run', '--rm', '--network', 'none', ref, 'true']);
  return r.code === 0 ? [] : [`image ${ref} is listed but does not run: ${r.stderr.trim().slice(0, 200)}`];
}

export async function prepareWorld(d: TestDaemon, reg: string, mb: number): Promise<World> {
  const dir = join(d.dir, 'crash-world');
  mkdirSync(dir, { recursive: true });
  const big = `${reg}/crash/big:1`;
  const bctx = join(dir, 'big-ctx');
  mkdirSync(bctx, { recursive: true });
  writeFileSync(join(bctx, 'Dockerfile'), `FROM busybox\nRUN head -c ${mb * 1_000_000} /dev/urandom > /big\nRUN head -c ${Math.ceil(mb / 2) * 1_000_000} /dev/urandom > /half\n`);
  await must(d, ['build', '-q', '-t', big, bctx]);
  // The pull's image: layers of its own, pushed and then removed here, so each pull fetches them all.
  const pullme = `${reg}/crash/pullme:1`;
  await must(d, ['build', '-q', '--no-cache', '-t', pullme, bctx]);
  await must(d, ['push', pullme]);
  await must(d, ['rmi', pullme]);
  const saved = join(dir, 'saved.tar');
  await must(d, ['tag', big, 'crash/loadme:1']);
  await must(d, ['save', '-o', saved, 'crash/loadme:1']);
  await must(d, ['rmi', 'crash/loadme:1']);
  const root = join(dir, 'rootfs');
  makeBusyboxRootfs(root);
  writeFileSync(join(root, 'payload'), createHash('sha512').update(String(Date.now())).digest().toString('hex').repeat(mb * 8000));
  const rootfsTar = join(dir, 'rootfs.tar');
  tarDirectory(root, rootfsTar);
  const ctx = join(dir, 'ctx');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), `FROM busybox\nRUN head -c ${mb * 500_000} /dev/urandom > /x\nRUN echo two > /two\nRUN echo three > /three\n`);
  return { d, reg, big, pullme, saved, rootfsTar, ctx, mb };
}

/** The registry's view of one pushed tag: absent, or a manifest whose every blob is there with its digest. */
async function registryWholeOrAbsent(w: World, repo: string, tag: string): Promise<string[]> {
  const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
  const m = await fetch(`http://${w.reg}/v2/${repo}/manifests/${tag}`, { headers: { Accept: accept } });
  if (m.status === 404) return [];
  if (m.status !== 200) return [`registry answers ${m.status} for ${repo}:${tag}`];
  const man = (await m.json()) as { config: { digest: string }; layers: { digest: string }[] };
  const out: string[] = [];
  for (const b of [man.config, ...man.layers]) {
    const r = await fetch(`http://${w.reg}/v2/${repo}/blobs/${b.digest}`);
    const body = Buffer.from(await r.arrayBuffer());
    if (r.status !== 200 || `sha256:${createHash('sha256').update(body).digest('hex')}` !== b.digest) out.push(`pushed ${repo}:${tag} names blob ${b.digest}, which the registry lacks or serves corrupt`);
  }
  return out;
}

const img = (c: CrashCtx, what: string): string => `crash/${what}:${c.n}`;

/** Operations on images: they need the world's registry image, archive, rootfs and context. */
export function imageCrashOps(w: World): CrashOp[] {
  const { d } = w;
  const rmi = async (ref: string): Promise<void> => void (await d.berth(['rmi', '-f', ref]));
  const rmc = async (name: string): Promise<void> => void (await d.berth(['rm', '-f', name]));
  const imageOp = (name: string, run: (c: CrashCtx) => Promise<RunResult>, ref: (c: CrashCtx) => string, prepare?: (c: CrashCtx) => Promise<void>, extraReset?: (c: CrashCtx) => Promise<void>): CrashOp => ({
    name,
    ...(prepare ? { prepare } : {}),
    run,
    judge: (c) => imageWholeOrAbsent(d, ref(c)),
    retry: async (c) => {
      const r = await run(c);
      if (r.code !== 0) return r;
      const ran = await d.berth(['run', '--rm', '--network', 'none', ref(c), 'true']);
      return ran.code === 0 ? r : { ...ran, stderr: `the retried image does not run: ${ran.stderr}` };
    },
    reset: async (c) => {
      await rmi(ref(c));
      await extraReset?.(c);
    },
  });
  return [
    // The retry of a cut pull resumes what the lease kept.
    imageOp('pull', () => d.berth(['pull', '-q', w.pullme], { timeoutMs: 180_000 }), () => w.pullme),
    {
      name: 'push',
      prepare: async (c) => void (await must(d, ['tag', w.big, `${w.reg}/crash/push${c.n}:1`])),
      run: (c) => d.berth(['push', `${w.reg}/crash/push${c.n}:1`], { timeoutMs: 180_000 }),
      judge: (c) => registryWholeOrAbsent(w, `crash/push${c.n}`, '1'),
      retry: async (c) => {
        const r = await d.berth(['push', `${w.reg}/crash/push${c.n}:1`], { timeoutMs: 180_000 });
        if (r.code !== 0) return r;
        const f = await registryWholeOrAbsent(w, `crash/push${c.n}`, '1');
        return f.length ? { code: 1, stdout: '', stderr: f.join('; ') } : r;
      },
      reset: (c) => rmi(`${w.reg}/crash/push${c.n}:1`),
    },
    imageOp('load', () => d.berth(['load', '-q', '-i', w.saved], { timeoutMs: 180_000 }), () => 'crash/loadme:1'),
    imageOp('import', (c) => d.berth(['import', w.rootfsTar, img(c, 'imp')], { timeoutMs: 180_000 }), (c) => img(c, 'imp')),
    imageOp(
      'commit',
      (c) => d.berth(['commit', `cmt${c.n}`, img(c, 'cmt')], { timeoutMs: 180_000 }),
      (c) => img(c, 'cmt'),
      async (c) => void (await must(d, ['run', '--name', `cmt${c.n}`, '--network', 'none', 'busybox', 'sh', '-c', `head -c ${w.mb * 1_000_000} /dev/urandom > /data`])),
      (c) => rmc(`cmt${c.n}`),
    ),
    imageOp('build (classic, no cache)', (c) => d.berth(['build', '-q', '--no-cache', '-t', img(c, 'build'), w.ctx], { timeoutMs: 180_000 }), (c) => img(c, 'build')),
    imageOp(
      'build (cached)',
      (c) => d.berth(['build', '-q', '-t', img(c, 'cached'), w.ctx], { timeoutMs: 180_000 }),
      (c) => img(c, 'cached'),
      async () => void (await must(d, ['build', '-q', '-t', 'crash/cache-base', w.ctx])),
    ),
    {
      name: 'image rm',
      prepare: async (c) => void (await must(d, ['tag', w.big, img(c, 'rmi')])),
      run: (c) => d.berth(['rmi', img(c, 'rmi')]),
      judge: async (c) => [...(await imageWholeOrAbsent(d, img(c, 'rmi'))), ...(await imageWholeOrAbsent(d, w.big))],
      retry: async (c) => ((await exists(d, 'image', img(c, 'rmi'))) ? d.berth(['rmi', img(c, 'rmi')]) : pass),
      reset: (c) => rmi(img(c, 'rmi')),
    },
    {
      name: 'image prune',
      prepare: async (c) => {
        // Two builds under one tag: the first becomes dangling, for prune to remove.
        for (const k of [1, 2]) {
          const ctx = join(d.dir, `prune-ctx${c.n}-${k}`);
          mkdirSync(ctx, { recursive: true });
          writeFileSync(join(ctx, 'Dockerfile'), `FROM busybox\nRUN head -c ${w.mb * 300_000} /dev/urandom > /p${k}\n`);
          await must(d, ['build', '-q', '-t', img(c, 'prune'), ctx]);
        }
      },
      run: () => d.berth(['image', 'prune', '-f']),
      judge: async (c) => [...(await imageWholeOrAbsent(d, img(c, 'prune'))), ...(await imageWholeOrAbsent(d, 'busybox'))],
      retry: () => d.berth(['image', 'prune', '-f']),
      reset: (c) => rmi(img(c, 'prune')),
    },
  ];
}

/** Operations on containers, volumes and networks: they need only busybox. */
export function containerCrashOps(d: TestDaemon): CrashOp[] {
  const rmc = async (name: string): Promise<void> => void (await d.berth(['rm', '-f', name]));
  return [
    runOp(d, 'run -d', 'berthd'),
    runOp(d, 'run -d, runc killed during create', 'runc'),
    {
      name: 'rm -f',
      prepare: async (c) => void (await must(d, ['run', '-d', '--name', `rm${c.n}`, 'busybox', 'sleep', '1000'])),
      run: (c) => d.berth(['rm', '-f', `rm${c.n}`]),
      judge: async (c) => [...(await containerFaults(d, `rm${c.n}`)), ...(await strayContainerMounts(d)).map((m) => `mount ${m} outlived its container`)],
      retry: async (c) => ((await exists(d, 'container', `rm${c.n}`)) ? d.berth(['rm', '-f', `rm${c.n}`]) : pass),
      reset: (c) => rmc(`rm${c.n}`),
    },
    {
      name: 'volume create',
      run: (c) => d.berth(['volume', 'create', `vol${c.n}`]),
      judge: async (c) => ((await exists(d, 'volume', `vol${c.n}`)) ? volumeUsable(d, `vol${c.n}`) : []),
      retry: async (c) => {
        const r = await d.berth(['volume', 'create', `vol${c.n}`]);
        if (r.code !== 0) return r;
        const f = await volumeUsable(d, `vol${c.n}`);
        return f.length ? { code: 1, stdout: '', stderr: f.join('; ') } : r;
      },
      reset: async (c) => void (await d.berth(['volume', 'rm', '-f', `vol${c.n}`])),
    },
    {
      name: 'volume rm',
      prepare: async (c) => {
        await must(d, ['volume', 'create', `vrm${c.n}`]);
        await must(d, ['run', '--rm', '--network', 'none', '-v', `vrm${c.n}:/v`, 'busybox', 'sh', '-c', 'echo x > /v/f']);
      },
      run: (c) => d.berth(['volume', 'rm', `vrm${c.n}`]),
      judge: async (c) => ((await exists(d, 'volume', `vrm${c.n}`)) ? volumeUsable(d, `vrm${c.n}`) : []),
      retry: async (c) => ((await exists(d, 'volume', `vrm${c.n}`)) ? d.berth(['volume', 'rm', `vrm${c.n}`]) : pass),
      reset: async (c) => void (await d.berth(['volume', 'rm', '-f', `vrm${c.n}`])),
    },
    {
      name: 'network create',
      run: (c) => d.berth(['network', 'create', `net${c.n}`]),
      judge: async (c) => ((await exists(d, 'network', `net${c.n}`)) ? networkUsable(d, `net${c.n}`) : []),
      retry: async (c) => {
        if (!(await exists(d, 'network', `net${c.n}`))) {
          const r = await d.berth(['network', 'create', `net${c.n}`]);
          if (r.code !== 0) return r;
        }
        const f = await networkUsable(d, `net${c.n}`);
        return f.length ? { code: 1, stdout: '', stderr: f.join('; ') } : pass;
      },
      reset: async (c) => void (await d.berth(['network', 'rm', `net${c.n}`])),
    },
    {
      name: 'network connect',
      prepare: async (c) => {
        await must(d, ['network', 'create', `ncn${c.n}`]);
        await must(d, ['run', '-d', '--name', `nc${c.n}`, 'busybox', 'sleep', '1000']);
      },
      run: (c) => d.berth(['network', 'connect', `ncn${c.n}`, `nc${c.n}`]),
      judge: (c) => containerFaults(d, `nc${c.n}`),
      retry: async (c) => {
        const nets = (await d.berth(['inspect', '-f', '{{json .NetworkSettings.Networks}}', `nc${c.n}`])).stdout;
        if (!nets.includes(`"ncn${c.n}"`)) {
          const r = await d.berth(['network', 'connect', `ncn${c.n}`, `nc${c.n}`]);
          if (r.code !== 0) return r;
        }
        // Connected means an address on that network inside the container.
        const ip = (await d.berth(['inspect', '-f', `{{(index .NetworkSettings.Networks "ncn${c.n}").IPAddress}}`, `nc${c.n}`])).stdout.trim();
        const addr = await d.berth(['exec', `nc${c.n}`, 'ip', '-4', 'addr']);
        return ip && addr.stdout.includes(`${ip}/`) ? pass : { code: 1, stdout: '', stderr: `connected container has no address ${ip} inside: ${addr.stdout}${addr.stderr}` };
      },
      reset: async (c) => {
        await rmc(`nc${c.n}`);
        await d.berth(['network', 'rm', `ncn${c.n}`]);
      },
    },
    {
      name: 'conmon killed under a running container',
      victim: 'none',
      prepare: async (c) => void (await must(d, ['run', '-d', '--name', `cm${c.n}`, 'busybox', 'sleep', '1000'])),
      run: async (c) => {
        const id = (await d.berth(['inspect', '-f', '{{.Id}}', `cm${c.n}`])).stdout.trim();
        const pid = conmonOf(id);
        if (!pid) return { code: 1, stdout: '', stderr: `no conmon found for ${id}` };
        process.kill(pid, 'SIGKILL');
        // berthd learns of a vanished conmon from its once-a-second look at the exit file and pid.
        await sleep(1500);
        return pass;
      },
      judge: (c) => containerFaults(d, `cm${c.n}`),
      // What the user does next with such a container: stop and remove it; nothing of it may stay.
      retry: async (c) => {
        const id = (await d.berth(['inspect', '-f', '{{.Id}}', `cm${c.n}`])).stdout.trim();
        const r = await d.berth(['rm', '-f', `cm${c.n}`]);
        if (r.code !== 0) return r;
        const left = (await strayContainerMounts(d)).filter((m) => m.includes(id));
        return left.length ? { code: 1, stdout: '', stderr: `rm -f left ${left.join(', ')}` } : r;
      },
      reset: (c) => rmc(`cm${c.n}`),
    },
  ];
}

function runOp(d: TestDaemon, name: string, victim: 'berthd' | 'runc'): CrashOp {
  const start = (c: CrashCtx): Promise<RunResult> => d.berth(['run', '-d', '--name', `rd${c.n}`, 'busybox', 'sleep', '1000']);
  return {
    name,
    victim,
    run: start,
    judge: (c) => containerFaults(d, `rd${c.n}`),
    // A container the kill left (created, or running) is the user's to remove; then the run works.
    retry: async (c) => {
      await d.berth(['rm', '-f', `rd${c.n}`]);
      const r = await start(c);
      if (r.code !== 0) return r;
      const st = (await d.berth(['inspect', '-f', '{{.State.Running}}', `rd${c.n}`])).stdout.trim();
      return st === 'true' ? r : { code: 1, stdout: '', stderr: `the retried container is not running (${st})` };
    },
    reset: async (c) => void (await d.berth(['rm', '-f', `rd${c.n}`])),
  };
}

async function volumeUsable(d: TestDaemon, name: string): Promise<string[]> {
  const r = await d.berth(['run', '--rm', '--network', 'none', '-v', `${name}:/v`, 'busybox', 'sh', '-c', 'echo y > /v/y && cat /v/y']);
  return r.code === 0 && r.stdout.trim() === 'y' ? [] : [`volume ${name} is listed but not usable: ${r.stderr.trim().slice(0, 200)}`];
}

async function networkUsable(d: TestDaemon, name: string): Promise<string[]> {
  const r = await d.berth(['run', '--rm', '--network', name, 'busybox', 'true']);
  return r.code === 0 ? [] : [`network ${name} is listed but a container cannot join it: ${r.stderr.trim().slice(0, 200)}`];
}
