import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { registryCommand, startBerthRegistry } from './registry-servers.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

test('gc runs beside a serving registry: dry run lists, the sweep removes only what no manifest needs', async () => {
  const server = await startBerthRegistry();
  try {
    const blobPath = (d: string): string => join(server.root, 'blobs/sha256', d.slice(7));
    const push = async (repo: string, data: Buffer): Promise<string> => {
      const r = await fetch(`${server.url}/v2/${repo}/blobs/uploads/?digest=${sha(data)}`, { method: 'POST', body: data });
      assert.equal(r.status, 201);
      return sha(data);
    };
    const manifest = async (repo: string, ref: string | null, config: Buffer, layers: Buffer[]): Promise<string> => {
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(l), size: l.length })),
      });
      const r = await fetch(`${server.url}/v2/${repo}/manifests/${ref ?? sha(body)}`, { method: 'PUT', body, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(r.status, 201);
      return sha(body);
    };
    const shared = randomBytes(2000);
    const configA = Buffer.from('{"a":1}');
    const configB = Buffer.from('{"b":1}');
    const configU = Buffer.from('{"untagged":1}');
    await push('gc/a', shared);
    await push('gc/a', configA);
    await push('gc/b', shared);
    await push('gc/b', configB);
    await push('gc/b', configU);
    const mA = await manifest('gc/a', 'v1', configA, [shared]);
    const mB = await manifest('gc/b', 'v1', configB, [shared]);
    const mU = await manifest('gc/b', null, configU, []);
    assert.equal((await fetch(`${server.url}/v2/gc/a/manifests/${mA}`, { method: 'DELETE' })).status, 202);

    const dry = await registryCommand(['gc', '--root', server.root, '--grace', '0', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`would remove blob ${sha(configA)}`));
    assert.match(dry.stdout, new RegExp(`would remove blob ${mA}`));
    assert.doesNotMatch(dry.stdout, new RegExp(`blob ${sha(shared)}`));
    assert.match(dry.stdout, new RegExp(`would remove link gc/a@${sha(shared)}`));
    assert.ok(existsSync(blobPath(sha(configA))), 'a dry run removes nothing');

    // With the default grace period, everything just pushed stays.
    const young = await registryCommand(['gc', '--root', server.root]);
    assert.match(young.stdout, /0 manifests, 0 links, 0 blobs/);

    const sweep = await registryCommand(['gc', '--root', server.root, '--grace', '0', '--delete-untagged']);
    assert.equal(sweep.code, 0, sweep.stderr);
    assert.match(sweep.stdout, new RegExp(`removed manifest gc/b@${mU}`));
    assert.ok(!existsSync(blobPath(sha(configA))));
    assert.ok(!existsSync(blobPath(sha(configU))));
    assert.ok(existsSync(blobPath(sha(shared))));
    // The other repository's image is whole, served by the registry that kept running.
    const m = await fetch(`${server.url}/v2/gc/b/manifests/v1`, { headers: { Accept: OCI_MANIFEST } });
    assert.equal(m.status, 200);
    assert.equal(m.headers.get('docker-content-digest'), mB);
    for (const d of [sha(configB), sha(shared)]) assert.equal((await fetch(`${server.url}/v2/gc/b/blobs/${d}`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${server.url}/v2/gc/a/blobs/${sha(shared)}`, { method: 'HEAD' })).status, 404, 'the deleted image no longer links its layer');
  } finally {
    await server.cleanup();
  }
});

test('online gc (--gc-interval) sweeps an unreferenced blob while serving', async () => {
  const server = await startBerthRegistry({ args: ['--gc-interval', '200ms', '--grace', '0'] });
  try {
    const data = randomBytes(500);
    const r = await fetch(`${server.url}/v2/online/blobs/uploads/?digest=${sha(data)}`, { method: 'POST', body: data });
    assert.equal(r.status, 201);
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      await new Promise((res) => setTimeout(res, 100));
      status = (await fetch(`${server.url}/v2/online/blobs/${sha(data)}`, { method: 'HEAD' })).status;
    }
    assert.equal(status, 404);
    // The sweep unlinks the repository's link before the blob file: give the pass time to finish.
    const file = join(server.root, 'blobs/sha256', sha(data).slice(7));
    for (let i = 0; i < 50 && existsSync(file); i++) await new Promise((res) => setTimeout(res, 100));
    assert.ok(!existsSync(file), 'the blob file is swept too');
  } finally {
    await server.cleanup();
  }
});
