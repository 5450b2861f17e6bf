import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Docker from 'dockerode';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const ok = (r: { code: number; stderr: string }, what = ''): void => assert.equal(r.code, 0, `${what} ${r.stderr}`);

test('Engine API shapes and statuses: 201 create, 404, 409 in use, prune by API version', async () => {
  const c = await d.api('POST', '/v1.43/volumes/create', { Name: 'api-vol', Labels: { a: 'b' }, DriverOpts: {} });
  assert.equal(c.status, 201);
  const v = c.json as Record<string, unknown>;
  assert.equal(v['Name'], 'api-vol');
  assert.match(String(v['CreatedAt']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal((await d.api('POST', '/v1.43/volumes/create', { Name: 'api-vol' })).status, 201, 'create of an existing name returns it');
  const nf = await d.api('GET', '/v1.43/volumes/nope');
  assert.equal(nf.status, 404);
  assert.deepEqual(nf.json, { message: 'get nope: no such volume' });
  assert.equal((await d.api('DELETE', '/v1.43/volumes/nope?force=1')).status, 204);
  assert.equal((await d.api('POST', '/v1.43/volumes/create', { Name: 'x', Driver: 'nfs' })).status, 404);
  const badFilter = await d.api('GET', `/v1.43/volumes?filters=${encodeURIComponent('{"color":{"red":true}}')}`);
  assert.equal(badFilter.status, 400);

  const cr = await d.api('POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: ['api-vol:/d'] } });
  assert.equal(cr.status, 201, JSON.stringify(cr.json));
  const id = (cr.json as { Id: string }).Id;
  const inUse = await d.api('DELETE', '/v1.43/volumes/api-vol?force=1');
  assert.equal(inUse.status, 409);
  assert.deepEqual(inUse.json, { message: `remove api-vol: volume is in use - [${id}]` });
  const dangling = await d.api('GET', `/v1.43/volumes?filters=${encodeURIComponent('{"dangling":["true"]}')}`);
  assert.deepEqual((dangling.json as { Volumes: unknown[] }).Volumes, []);
  assert.equal((await d.api('DELETE', `/v1.43/containers/${id}`)).status, 204);

  // API 1.43: a prune without all=true keeps named volumes; API 1.41 clients (docker-py) remove every unused one.
  const p43 = await d.api('POST', '/v1.43/volumes/prune');
  assert.deepEqual(p43.json, { VolumesDeleted: [], SpaceReclaimed: 0 });
  const p41 = await d.api('POST', '/v1.41/volumes/prune');
  assert.deepEqual((p41.json as { VolumesDeleted: string[] }).VolumesDeleted, ['api-vol']);
  const list = await d.api('GET', '/volumes');
  assert.deepEqual(list.json, { Volumes: [], Warnings: [] });
});

test("the image's VOLUME becomes an anonymous volume filled from the image", async () => {
  const tar = join(d.dir, 'img.tar');
  ok(await d.berth(['import', '--change', 'CMD ["sh"]', '--change', 'VOLUME /etc', tar, 'with-volume']));
  const id = (await d.docker(['run', '-d', 'with-volume', 'sh', '-c', 'echo changed > /etc/new; cat /etc/group'])).stdout.trim();
  ok(await d.docker(['wait', id]));
  const m = JSON.parse((await d.berth(['inspect', '-f', '{{json .Mounts}}', id])).stdout) as Array<Record<string, unknown>>;
  assert.equal(m.length, 1);
  assert.equal(m[0]?.['Type'], 'volume');
  assert.equal(m[0]?.['Destination'], '/etc');
  assert.equal(m[0]?.['Mode'], '');
  const name = String(m[0]?.['Name']);
  const inVol = await d.berth(['run', '--rm', '-v', `${name}:/v`, 'busybox', 'sh', '-c', 'cat /v/new; grep -c berth /v/passwd']);
  assert.equal(inVol.stdout, 'changed\n1\n');
  // A named volume given for the same path replaces the image's anonymous one.
  const over = (await d.berth(['create', '-v', 'named-etc:/etc', 'with-volume'])).stdout.trim();
  assert.equal((await d.berth(['inspect', '-f', '{{range .Mounts}}{{.Name}} {{end}}', over])).stdout.trim(), 'named-etc');
  ok(await d.berth(['rm', '-v', id, over]));
  assert.equal((await d.berth(['volume', 'ls', '-q'])).stdout, 'named-etc\n');
  ok(await d.berth(['volume', 'rm', 'named-etc']));
  ok(await d.berth(['rmi', 'with-volume']));
});

test('local volume options (tmpfs) and volume-subpath', async () => {
  ok(await d.docker(['volume', 'create', '-d', 'local', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=2m', 'ramvol']));
  const r = await d.docker(['run', '--rm', '-v', 'ramvol:/r', 'busybox', 'sh', '-c', 'grep " /r " /proc/mounts']);
  ok(r);
  assert.match(r.stdout, /^tmpfs \/r tmpfs rw,.*size=2048k/);
  const bad = await d.docker(['volume', 'create', '-o', 'colour=red', 'badopt']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid option: "colour"/);
  ok(await d.berth(['run', '--rm', '-v', 'subvol:/s', 'busybox', 'sh', '-c', 'mkdir -p /s/inner && echo deep > /s/inner/f']));
  const sub = await d.berth(['run', '--rm', '--mount', 'type=volume,source=subvol,target=/m,volume-subpath=inner', 'busybox', 'cat', '/m/f']);
  ok(sub);
  assert.equal(sub.stdout, 'deep\n');
  ok(await d.berth(['volume', 'rm', 'ramvol', 'subvol']));
});

test('volumes and their mounts survive a berthd restart', async () => {
  ok(await d.berth(['run', '--rm', '-v', 'durable:/d', 'busybox', 'sh', '-c', 'echo kept > /d/f']));
  const id = (await d.berth(['create', '-v', 'durable:/d', 'busybox', 'cat', '/d/f'])).stdout.trim();
  await d.crash();
  await d.spawn();
  assert.equal((await d.berth(['volume', 'ls', '-q'])).stdout, 'durable\n');
  const r = await d.berth(['start', '-a', id]);
  ok(r);
  assert.equal(r.stdout, 'kept\n');
  const rm = await d.berth(['volume', 'rm', 'durable']);
  assert.match(rm.stderr, /volume is in use/);
  ok(await d.berth(['rm', id]));
  ok(await d.berth(['volume', 'rm', 'durable']));
});

test('bad mount requests are refused at create with Docker words, and leave no volume behind', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['-v', 'dup-a:/d', '-v', 'dup-b:/d'], /Duplicate mount point: \/d/],
    [['--volumes-from', 'no-such-container'], /No such container: no-such-container/],
    [['-v', 'v1:relative'], /invalid mount path: 'relative' mount path must be absolute/],
    [['-v', 'v2:/d:ro,rw'], /invalid mode/],
    [['--mount', 'type=volume,src=bad/name,dst=/x'], /includes invalid characters for a local volume name/],
    [['--mount', 'type=tmpfs,src=x,dst=/x'], /field Source must not be specified/],
    [['-v', 'fresh-ok:/ok', '--mount', `type=bind,src=${join(d.dir, 'absent')},dst=/b`], /bind source path does not exist/],
  ];
  for (const [flags, re] of cases) {
    const r = await d.docker(['create', ...flags, 'busybox', 'true']);
    assert.equal(r.code, 1, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /Unable to find image/);
  }
  assert.equal((await d.berth(['volume', 'ls', '-q'])).stdout, '', 'a refused create removes the volumes it made');
  assert.equal((await d.berth(['ps', '-aq'])).stdout, '');
});

test('dockerode: createVolume, listVolumes with filters, inspect, a container with Binds, remove', async () => {
  const docker = new Docker({ socketPath: d.socket });
  await docker.createVolume({ Name: 'dode', Labels: { via: 'dockerode' } });
  const list = (await docker.listVolumes({ filters: { label: ['via=dockerode'] } })) as { Volumes: Array<{ Name: string }> };
  assert.deepEqual(list.Volumes.map((x) => x.Name), ['dode']);
  const info = (await docker.getVolume('dode').inspect()) as { Mountpoint: string; Labels: Record<string, string> };
  assert.deepEqual(info.Labels, { via: 'dockerode' });
  const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo dode > /v/f'], HostConfig: { Binds: ['dode:/v'] } });
  await c.start();
  assert.equal(((await c.wait()) as { StatusCode: number }).StatusCode, 0);
  const insp = await c.inspect();
  assert.equal(insp.Mounts[0]?.Name, 'dode');
  await assert.rejects(docker.getVolume('dode').remove(), (e: { statusCode?: number }) => e.statusCode === 409);
  await c.remove({ v: true });
  await docker.getVolume('dode').remove();
  await assert.rejects(docker.getVolume('dode').inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
});
