import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { TestDaemon, useBusyboxDaemon, eventually } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

function api(method: string, path: string, body?: object): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, path: `/v1.41${path}`, method, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

async function execCreate(container: string, cmd: string[]): Promise<string> {
  const r = await api('POST', `/containers/${container}/exec`, { Cmd: cmd, AttachStdout: false, AttachStderr: false });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json['Id'] as string;
}

const startDetached = (id: string): ReturnType<typeof api> => api('POST', `/exec/${id}/start`, { Detach: true, Tty: false });
const inspect = async (id: string): Promise<Record<string, unknown>> => (await api('GET', `/exec/${id}/json`)).json;

test('exec instances survive kill -9 of berthd: exit codes of the ended, the running watched on, none started twice', async () => {
  const ctr = (await d.berth(['run', '-d', 'busybox', 'sleep', '1000'])).stdout.trim();
  const ended = await execCreate(ctr, ['sh', '-c', 'sleep 0.5; exit 7']);
  const running = await execCreate(ctr, ['sh', '-c', 'sleep 4; exit 3']);
  const waiting = await execCreate(ctr, ['sh', '-c', 'exit 5']);
  assert.equal((await startDetached(ended)).status, 200);
  assert.equal((await startDetached(running)).status, 200);
  const pid = (await inspect(running))['Pid'] as number;
  assert.ok(pid > 0);

  await d.crash();
  // `ended` finishes while berthd is away; `running` goes on.
  await new Promise((r) => setTimeout(r, 1500));
  process.kill(pid, 0);
  await d.spawn();

  const e = await inspect(ended);
  assert.equal(e['Running'], false);
  assert.equal(e['ExitCode'], 7);
  const again = await startDetached(ended);
  assert.equal(again.status, 409);
  assert.match(String(again.json['message']), /has already run/);

  const r = await inspect(running);
  assert.equal(r['Running'], true);
  assert.equal(r['ExitCode'], null);
  assert.equal(r['Pid'], pid);
  const twice = await startDetached(running);
  assert.equal(twice.status, 409);
  assert.match(String(twice.json['message']), /is already running/);
  await eventually(async () => (await inspect(running))['Running'] === false, 10_000, 'the running exec ends');
  assert.equal((await inspect(running))['ExitCode'], 3);

  // An instance created before the crash and never started can still be started, once.
  assert.equal((await inspect(waiting))['Running'], false);
  assert.equal((await startDetached(waiting)).status, 200);
  await eventually(async () => (await inspect(waiting))['ExitCode'] === 5, 5000, 'the late exec ran');

  // Instances go with their container.
  await d.berth(['rm', '-f', ctr]);
  for (const id of [ended, running, waiting]) assert.equal((await api('GET', `/exec/${id}/json`)).status, 404);
});

test('exited instances are kept across a clean restart and go with their container', async () => {
  const ctr = (await d.berth(['run', '-d', 'busybox', 'sleep', '1000'])).stdout.trim();
  const id = await execCreate(ctr, ['true']);
  assert.equal((await startDetached(id)).status, 200);
  await eventually(async () => (await inspect(id))['Running'] === false, 5000, 'exec done');
  await d.stopDaemon();
  await d.spawn();
  assert.equal((await inspect(id))['ExitCode'], 0, 'an exited instance is kept across a clean restart too');
  await d.berth(['rm', '-f', ctr]);
  await d.stopDaemon();
  await d.spawn();
  assert.equal((await api('GET', `/exec/${id}/json`)).status, 404);
});
