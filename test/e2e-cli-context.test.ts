import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, TestDaemon, useBusyboxDaemon, type RunResult } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

/** A client with a private DOCKER_CONFIG and no DOCKER_HOST: only a context can lead it to the daemon. */
function client(cfg: string, cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...d.env, DOCKER_CONFIG: cfg, ...extra };
  delete env['DOCKER_HOST'];
  delete env['BERTH_HOST'];
  delete env['BERTH_EXEC_ROOT'];
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.once('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

test('a context berth creates is one the docker CLI lists and uses, and the other way round', async (t) => {
  const cfg = await mkdtemp(join(tmpdir(), 'berth-ctx-'));
  t.after(() => rm(cfg, { recursive: true, force: true }));
  const berth = (args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> => client(cfg, BERTH, args, env);
  const docker = (args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> => client(cfg, 'docker', args, env);
  const host = `unix://${d.socket}`;

  const made = await berth(['context', 'create', 'fromberth', '--description', 'made by berth', '--docker', `host=${host}`]);
  assert.equal(made.code, 0, made.stderr);
  assert.equal(made.stdout, 'fromberth\n');
  assert.equal(made.stderr, 'Successfully created context "fromberth"\n');
  // Where the docker CLI keeps it: meta/<sha256 of the name>/meta.json.
  const hash = createHash('sha256').update('fromberth').digest('hex');
  const meta = JSON.parse(readFileSync(join(cfg, 'contexts', 'meta', hash, 'meta.json'), 'utf8')) as { Name: string; Endpoints: { docker: { Host: string } } };
  assert.equal(meta.Name, 'fromberth');
  assert.equal(meta.Endpoints.docker.Host, host);

  const dls = await docker(['context', 'ls', '--format', '{{.Name}}|{{.Description}}|{{.DockerEndpoint}}']);
  assert.equal(dls.code, 0, dls.stderr);
  assert.match(dls.stdout, new RegExp(`^fromberth\\|made by berth\\|${host.replace(/[.]/g, '\\.')}$`, 'm'));
  const viaDocker = await docker(['--context', 'fromberth', 'version', '--format', '{{.Server.APIVersion}}']);
  assert.equal(viaDocker.code, 0, viaDocker.stderr);
  assert.equal(viaDocker.stdout.trim(), '1.47');

  const made2 = await docker(['context', 'create', 'fromdocker', '--docker', `host=${host}`]);
  assert.equal(made2.code, 0, made2.stderr);
  const bls = await berth(['context', 'ls', '-q']);
  assert.deepEqual(bls.stdout.split('\n').filter(Boolean), ['default', 'fromberth', 'fromdocker']);
  const bi = JSON.parse((await berth(['context', 'inspect', 'fromdocker'])).stdout) as { Name: string; Endpoints: { docker: { Host: string } }; Storage: { MetadataPath: string } }[];
  assert.equal(bi[0]?.Endpoints.docker.Host, host);
  assert.equal(bi[0]?.Storage.MetadataPath, join(cfg, 'contexts', 'meta', createHash('sha256').update('fromdocker').digest('hex')));
  // berth's inspect prints what docker's does.
  assert.equal((await berth(['context', 'inspect', 'fromdocker'])).stdout, (await docker(['context', 'inspect', 'fromdocker'])).stdout);

  // --context, DOCKER_CONTEXT and `context use` each lead berth to the daemon.
  const name = `ctx-${process.pid}`;
  const created = await berth(['--context', 'fromdocker', 'create', '--name', name, 'busybox', 'true']);
  assert.equal(created.code, 0, created.stderr);
  const byEnv = await berth(['ps', '-a', '--format', '{{.Names}}'], { DOCKER_CONTEXT: 'fromberth' });
  assert.equal(byEnv.code, 0, byEnv.stderr);
  assert.match(byEnv.stdout, new RegExp(`^${name}$`, 'm'));
  const use = await docker(['context', 'use', 'fromberth']);
  assert.equal(use.code, 0, use.stderr);
  assert.equal((await berth(['context', 'show'])).stdout, 'fromberth\n');
  assert.match((await berth(['context', 'ls'])).stdout, /^fromberth \*\s+made by berth/m);
  const byCurrent = await berth(['ps', '-a', '--format', '{{.Names}}']);
  assert.match(byCurrent.stdout, new RegExp(`^${name}$`, 'm'));
  const buse = await berth(['context', 'use', 'fromdocker']);
  assert.equal(buse.stderr, 'Current context is now "fromdocker"\n');
  assert.equal((await docker(['context', 'show'])).stdout, 'fromdocker\n');
  assert.equal((JSON.parse(readFileSync(join(cfg, 'config.json'), 'utf8')) as { currentContext: string }).currentContext, 'fromdocker');

  // Removal: the one in use needs -f; then the docker CLI no longer sees it, and default is current.
  const inUse = await berth(['context', 'rm', 'fromdocker']);
  assert.equal(inUse.code, 1);
  assert.match(inUse.stderr, /context "fromdocker" is in use, set -f flag to force remove/);
  const forced = await berth(['context', 'rm', '-f', 'fromdocker', 'fromberth']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(existsSync(join(cfg, 'contexts', 'meta', hash)), false);
  assert.deepEqual((await docker(['context', 'ls', '-q'])).stdout.split('\n').filter(Boolean), ['default']);
  assert.equal((await docker(['context', 'show'])).stdout, 'default\n');

  // Mistakes get clear words.
  const missing = await berth(['--context', 'nosuch', 'ps']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /context "nosuch" does not exist/);
  const badName = await berth(['context', 'create', 'bad/name', '--docker', `host=${host}`]);
  assert.equal(badName.code, 1);
  assert.match(badName.stderr, /context name "bad\/name" is invalid/);
  const tcp = await berth(['context', 'create', 'tcpone', '--docker', 'host=tcp://127.0.0.1:2375']);
  assert.equal(tcp.code, 1);
  assert.match(tcp.stderr, /unix:\/\/ sockets only/);
  await d.berth(['rm', name]);
});
