import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startBerthRegistry, type RunningServer } from './registry-servers.js';

const run = promisify(execFile);
const skopeo = (args: string[]): Promise<{ stdout: string; stderr: string }> => run('skopeo', args, { maxBuffer: 16 << 20 });

let dir: string;
let server: RunningServer;
let archive: string;

/** A docker-archive of one layer holding /bin/busybox, made with tar (skopeo reads it). */
async function makeArchive(into: string): Promise<string> {
  const root = join(into, 'rootfs');
  const arc = join(into, 'arc');
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(arc, { recursive: true });
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  await writeFile(join(root, 'hello'), 'hello from berth registry\n');
  await run('tar', ['--numeric-owner', '-C', root, '-cf', join(arc, 'layer.tar'), '.']);
  const diffId = `sha256:${createHash('sha256').update(await readFile(join(arc, 'layer.tar'))).digest('hex')}`;
  const config = { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created: '2024-01-01T00:00:00Z', created_by: 'test' }] };
  await writeFile(join(arc, 'config.json'), JSON.stringify(config));
  await writeFile(join(arc, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['test/busybox:latest'], Layers: ['layer.tar'] }]));
  const out = join(into, 'image.tar');
  await run('tar', ['-C', arc, '-cf', out, 'manifest.json', 'config.json', 'layer.tar']);
  return out;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-registry-skopeo-'));
  archive = await makeArchive(dir);
  server = await startBerthRegistry();
});

after(async () => {
  await server?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

test('skopeo copies a Docker schema2 image in and out, inspects it and lists its tags', async () => {
  await skopeo(['copy', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${server.host}/test/busybox:v1`]);
  const raw = JSON.parse((await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${server.host}/test/busybox:v1`])).stdout) as { mediaType: string };
  assert.equal(raw.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  const info = JSON.parse((await skopeo(['inspect', '--tls-verify=false', `docker://${server.host}/test/busybox:v1`])).stdout) as { Architecture: string; Layers: string[] };
  assert.equal(info.Architecture, 'amd64');
  assert.equal(info.Layers.length, 1);
  const tags = JSON.parse((await skopeo(['list-tags', '--tls-verify=false', `docker://${server.host}/test/busybox`])).stdout) as { Tags: string[] };
  assert.deepEqual(tags.Tags, ['v1']);
  const back = join(dir, 'back-docker.tar');
  await skopeo(['copy', '--src-tls-verify=false', `docker://${server.host}/test/busybox:v1`, `docker-archive:${back}:test/busybox:v1`]);
  const { stdout } = await run('tar', ['-tf', back]);
  assert.match(stdout, /manifest\.json/);
});

test('skopeo copies an OCI image in and back into an OCI layout with identical blobs', async () => {
  await skopeo(['copy', '--dest-tls-verify=false', '--format', 'oci', `docker-archive:${archive}`, `docker://${server.host}/test/oci:v1`]);
  const raw = JSON.parse((await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${server.host}/test/oci:v1`])).stdout) as {
    mediaType: string;
    layers: { digest: string }[];
  };
  assert.equal(raw.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  const layout = join(dir, 'layout');
  await skopeo(['copy', '--src-tls-verify=false', `docker://${server.host}/test/oci:v1`, `oci:${layout}:v1`]);
  const blobs = await readdir(join(layout, 'blobs/sha256'));
  for (const l of raw.layers) assert.ok(blobs.includes(l.digest.slice(7)), `layer ${l.digest} copied back`);
  for (const b of blobs) {
    const data = await readFile(join(layout, 'blobs/sha256', b));
    assert.equal(createHash('sha256').update(data).digest('hex'), b);
  }
});

test('skopeo copies between repositories (cross-repository mount) and deletes an image', async () => {
  await skopeo(['copy', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${server.host}/test/del:v1`]);
  await skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${server.host}/test/del:v1`, `docker://${server.host}/test/copy:v2`]);
  await skopeo(['delete', '--tls-verify=false', `docker://${server.host}/test/del:v1`]);
  await assert.rejects(skopeo(['inspect', '--tls-verify=false', `docker://${server.host}/test/del:v1`]), /manifest unknown|not found/i);
  // The copy in the other repository keeps every blob it needs.
  const copy = join(dir, 'copy-layout');
  await skopeo(['copy', '--src-tls-verify=false', `docker://${server.host}/test/copy:v2`, `oci:${copy}:v2`]);
  assert.ok((await readdir(join(copy, 'blobs/sha256'))).length >= 3);
});

test('the web page shows repositories (searchable), tags, layers and config; /metrics counts requests', async () => {
  await skopeo(['copy', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${server.host}/web/busybox:v1`]);
  const home = await fetch(`${server.url}/?q=web`);
  assert.equal(home.status, 200);
  assert.match(home.headers.get('content-type') ?? '', /text\/html/);
  const homeHtml = await home.text();
  assert.match(homeHtml, /href="\/ui\/web\/busybox"/);
  assert.doesNotMatch(homeHtml, /test\/busybox/, 'the search filters repositories');
  const tags = await (await fetch(`${server.url}/ui/web/busybox`)).text();
  assert.match(tags, /v1/);
  assert.match(tags, /linux\/amd64/);
  assert.match(tags, /sha256:[0-9a-f]{64}/);
  const detail = await (await fetch(`${server.url}/ui/web/busybox?tag=v1`)).text();
  assert.match(detail, /id="layers"/);
  assert.match(detail, /2024-01-01T00:00:00Z/);
  assert.match(detail, /<code>sh<\/code>/);
  assert.equal((await fetch(`${server.url}/ui/web/nothing`)).status, 404);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /berth_registry_http_requests_total\{method="PUT",code="201"\} \d+/);
  assert.match(metrics, /berth_registry_upload_sessions 0/);
  assert.match(metrics, /berth_registry_repositories \d+/);
});
