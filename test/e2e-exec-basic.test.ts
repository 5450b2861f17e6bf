import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { TestDaemon } from './helpers/daemon.js';

let d: TestDaemon;
let cid = '';
before(async () => {
  d = await TestDaemon.start();
  await d.makeBusyboxImage();
  const r = await d.berth(['run', '-d', '--name', 'target', 'busybox', 'sleep', '300']);
  assert.equal(r.code, 0, r.stderr);
  cid = r.stdout.trim();
});
after(async () => {
  await d?.cleanup();
});

for (const cli of ['docker', 'berth'] as const) {
  test(`${cli} exec: output, exit code, -e -w -u, piped stdin`, async () => {
    const run = (args: string[], input?: string) => (cli === 'docker' ? d.docker(args, input === undefined ? {} : { input }) : d.berth(args, input === undefined ? {} : { input }));
    const r = await run(['exec', 'target', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.equal(r.code, 7);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');

    const env = await run(['exec', '-e', 'FOO=bar', '-w', '/tmp', '-u', '1000', 'target', 'sh', '-c', 'echo "$FOO $(pwd) $(id -u):$(id -g)"']);
    assert.equal(env.code, 0, env.stderr);
    assert.equal(env.stdout, 'bar /tmp 1000:1000\n');

    const piped = await run(['exec', '-i', 'target', 'sh', '-c', 'wc -l; exit 3'], 'a\nb\nc\n');
    assert.equal(piped.code, 3);
    assert.equal(piped.stdout.trim(), '3');
  });

  test(`${cli} exec: a missing command is 126 with the OCI error (as dockerd's exec), a directory 126 too`, async () => {
    const run = (args: string[]) => (cli === 'docker' ? d.docker(args) : d.berth(args));
    const missing = await run(['exec', 'target', 'no-such-cmd']);
    assert.equal(missing.code, 126);
    assert.match(missing.stdout + missing.stderr, /executable file not found in \$PATH/);
    const dir = await run(['exec', 'target', '/tmp']);
    assert.equal(dir.code, 126, dir.stdout + dir.stderr);
  });

  test(`${cli} exec -d runs in the background`, async () => {
    const run = (args: string[]) => (cli === 'docker' ? d.docker(args) : d.berth(args));
    const r = await run(['exec', '-d', 'target', 'sh', '-c', `sleep 0.2; echo done > /tmp/bg-${cli}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    let content = '';
    for (let i = 0; i < 50 && content !== 'done\n'; i++) {
      await new Promise((res) => setTimeout(res, 50));
      content = (await run(['exec', 'target', 'cat', `/tmp/bg-${cli}`])).stdout;
    }
    assert.equal(content, 'done\n');
  });
}

test('exec API: inspect reports Running, Pid and ExitCode; unknown ids are 404; stopped containers 409', async () => {
  const created = await d.api('POST', `/containers/${cid}/exec`, { Cmd: ['sh', '-c', 'sleep 0.5; exit 5'], AttachStdout: false });
  assert.equal(created.status, 201);
  const id = (created.json as { Id: string }).Id;
  const before = (await d.api('GET', `/exec/${id}/json`)).json as Record<string, unknown>;
  assert.equal(before['Running'], false);
  assert.equal(before['ExitCode'], null);
  assert.equal(before['ContainerID'], cid);
  assert.deepEqual(before['ProcessConfig'], { tty: false, entrypoint: 'sh', arguments: ['-c', 'sleep 0.5; exit 5'], privileged: false });
  assert.equal((await d.api('POST', `/exec/${id}/start`, { Detach: true })).status, 200);
  const running = (await d.api('GET', `/exec/${id}/json`)).json as Record<string, unknown>;
  assert.equal(running['Running'], true);
  assert.ok((running['Pid'] as number) > 0);
  assert.equal((await d.api('POST', `/exec/${id}/start`, { Detach: true })).status, 409);
  let done: Record<string, unknown> = running;
  for (let i = 0; i < 100 && done['Running'] === true; i++) {
    await new Promise((r) => setTimeout(r, 50));
    done = (await d.api('GET', `/exec/${id}/json`)).json as Record<string, unknown>;
  }
  assert.equal(done['Running'], false);
  assert.equal(done['ExitCode'], 5);

  const unknown = await d.api('GET', '/exec/0123456789abcdef/json');
  assert.equal(unknown.status, 404);
  assert.match((unknown.json as { message: string }).message, /No such exec instance/);
  assert.equal((await d.api('POST', '/exec/0123456789abcdef/start', {})).status, 404);
  assert.equal((await d.api('POST', `/containers/${cid}/exec`, { Cmd: [] })).status, 400);

  const stopped = (await d.berth(['create', 'busybox', 'true'])).stdout.trim();
  const refused = await d.api('POST', `/containers/${stopped}/exec`, { Cmd: ['true'] });
  assert.equal(refused.status, 409);
  assert.match((refused.json as { message: string }).message, /is not running/);
  const r = await d.docker(['exec', stopped, 'true']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is not running/);
});

test('dockerode exec: plain and hijacked starts, stdin, demultiplexed output, exit code', async () => {
  const docker = new Docker({ socketPath: d.socket });
  const container = docker.getContainer(cid);
  const collect = async (stream: NodeJS.ReadableStream): Promise<{ out: string; err: string }> => {
    const out = new PassThrough();
    const err = new PassThrough();
    const o: Buffer[] = [];
    const e: Buffer[] = [];
    out.on('data', (b: Buffer) => o.push(b));
    err.on('data', (b: Buffer) => e.push(b));
    docker.modem.demuxStream(stream, out, err);
    await new Promise<void>((resolve) => {
      stream.on('end', () => resolve());
      stream.on('close', () => resolve());
    });
    return { out: Buffer.concat(o).toString(), err: Buffer.concat(e).toString() };
  };

  const plain = await container.exec({ Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 2'], AttachStdout: true, AttachStderr: true });
  const got = await collect(await plain.start({}));
  assert.equal(got.out, 'to-out\n');
  assert.equal(got.err, 'to-err\n');
  assert.equal((await plain.inspect()).ExitCode, 2);

  const hijacked = await container.exec({ Cmd: ['sh', '-c', 'tr a-z A-Z'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
  const stream = await hijacked.start({ hijack: true, stdin: true });
  const result = collect(stream);
  stream.write('shout\n');
  (stream as unknown as { end(): void }).end();
  assert.equal((await result).out, 'SHOUT\n');
  assert.equal((await hijacked.inspect()).ExitCode, 0);
});
