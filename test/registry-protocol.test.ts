import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, errorCode, location, pushBlob, pushImage, rawGet, req, sha, withQuery } from './registry-client.js';
import { startBerthRegistry, startDistribution, type RunningServer } from './registry-servers.js';

function all2(r: { json(): unknown }): { name: string; tags: string[] } {
  return r.json() as { name: string; tags: string[] };
}

interface Check {
  name: string;
  berthOnly?: boolean;
  run(base: string): Promise<void>;
}

/**
 * One protocol suite run against berth and against the CNCF distribution registry (the reference):
 * every check that distribution passes must pass on berth. Checks marked `berthOnly` test parts of
 * OCI distribution 1.1 that distribution 2.8 does not have (referrers, name/tag errors on bad paths).
 */
const checks: Check[] = [
  {
    name: '/v2/ answers 200 with the API version header',
    async run(base) {
      const r = await req(base, 'GET', '/v2/');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
    },
  },
  {
    name: 'single-request monolithic upload (POST ?digest=) answers 201 with digest and location',
    berthOnly: true,
    async run(base) {
      const data = randomBytes(5000);
      const d = sha(data);
      const r = await req(base, 'POST', `/v2/mono/blobs/uploads/?digest=${d}`, { body: data, headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('docker-content-digest'), d);
      assert.match(r.headers.get('location') ?? '', new RegExp(`/v2/mono/blobs/${d}$`));
    },
  },
  {
    name: 'HEAD, GET and Range GET of a blob',
    async run(base) {
      const data = randomBytes(5000);
      const d = await pushBlob(base, 'mono', data);
      const h = await req(base, 'HEAD', `/v2/mono/blobs/${d}`);
      assert.equal(h.status, 200);
      assert.equal(h.headers.get('content-length'), '5000');
      assert.equal(h.headers.get('docker-content-digest'), d);
      const g = await req(base, 'GET', `/v2/mono/blobs/${d}`);
      assert.ok(g.body.equals(data));
      const p = await req(base, 'GET', `/v2/mono/blobs/${d}`, { headers: { Range: 'bytes=100-199' } });
      assert.equal(p.status, 206);
      assert.ok(p.body.equals(data.subarray(100, 200)));
      assert.equal(p.headers.get('content-range'), 'bytes 100-199/5000');
    },
  },
  {
    name: 'a monolithic upload with the wrong digest is DIGEST_INVALID and stores nothing',
    berthOnly: true,
    async run(base) {
      const data = randomBytes(100);
      const wrong = sha('something else');
      const r = await req(base, 'POST', `/v2/bad/blobs/uploads/?digest=${wrong}`, { body: data, headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(r.status, 400);
      assert.equal(errorCode(r), 'DIGEST_INVALID');
      assert.equal((await req(base, 'HEAD', `/v2/bad/blobs/${wrong}`)).status, 404);
      assert.equal((await req(base, 'HEAD', `/v2/bad/blobs/${sha(data)}`)).status, 404);
    },
  },
  {
    name: 'chunked upload: PATCH in order with Content-Range, GET status, PUT with the last chunk closes',
    async run(base) {
      const data = randomBytes(3000);
      const d = sha(data);
      const s = await req(base, 'POST', '/v2/chunked/blobs/uploads/');
      assert.equal(s.status, 202);
      assert.ok(s.headers.get('docker-upload-uuid'));
      const p1 = await req(base, 'PATCH', location(s), { body: data.subarray(0, 1000), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-999' } });
      assert.equal(p1.status, 202);
      assert.equal(p1.headers.get('range'), '0-999');
      const st = await req(base, 'GET', location(p1));
      assert.equal(st.status, 204);
      assert.equal(st.headers.get('range'), '0-999');
      const p2 = await req(base, 'PATCH', location(p1), { body: data.subarray(1000, 2000), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '1000-1999' } });
      assert.equal(p2.status, 202);
      assert.equal(p2.headers.get('range'), '0-1999');
      const put = await req(base, 'PUT', withQuery(location(p2), `digest=${d}`), { body: data.subarray(2000), headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(put.status, 201, put.body.toString());
      assert.equal(put.headers.get('docker-content-digest'), d);
      assert.ok((await req(base, 'GET', `/v2/chunked/blobs/${d}`)).body.equals(data));
    },
  },
  {
    name: 'a chunk out of order or overlapping is 416 and leaves the upload as it was',
    berthOnly: true,
    async run(base) {
      const data = randomBytes(2000);
      const s = await req(base, 'POST', '/v2/chunked/blobs/uploads/');
      const p1 = await req(base, 'PATCH', location(s), { body: data.subarray(0, 1000), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-999' } });
      assert.equal(p1.status, 202);
      for (const [a, b] of [[500, 1499], [1200, 1999]] as const) {
        const bad = await req(base, 'PATCH', location(p1), { body: data.subarray(a, b + 1), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${a}-${b}` } });
        assert.equal(bad.status, 416);
        assert.equal(errorCode(bad), 'BLOB_UPLOAD_INVALID');
      }
      const sz = await req(base, 'PATCH', location(p1), { body: data.subarray(1000, 1500), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '1000-1999' } });
      assert.equal(sz.status, 400);
      assert.equal(errorCode(sz), 'SIZE_INVALID');
      assert.equal((await req(base, 'GET', location(p1))).headers.get('range'), '0-999');
      const put = await req(base, 'PUT', withQuery(location(p1), `digest=${sha(data)}`), { body: data.subarray(1000), headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(put.status, 201);
    },
  },
  {
    name: 'closing an upload with the wrong digest is DIGEST_INVALID',
    async run(base) {
      const s = await req(base, 'POST', '/v2/chunked/blobs/uploads/');
      const put = await req(base, 'PUT', withQuery(location(s), `digest=${sha('nope')}`), { body: 'abc', headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(put.status, 400);
      assert.equal(errorCode(put), 'DIGEST_INVALID');
    },
  },
  {
    name: 'DELETE cancels an upload; its status is then BLOB_UPLOAD_UNKNOWN',
    async run(base) {
      const s = await req(base, 'POST', '/v2/cancel/blobs/uploads/');
      const path = location(s);
      assert.equal((await req(base, 'DELETE', path)).status, 204);
      const st = await req(base, 'GET', path);
      assert.equal(st.status, 404);
      assert.equal(errorCode(st), 'BLOB_UPLOAD_UNKNOWN');
    },
  },
  {
    name: 'cross-repository mount links a blob; an unknown one falls back to a session',
    async run(base) {
      const d = await pushBlob(base, 'mount/src', randomBytes(300));
      const m = await req(base, 'POST', `/v2/mount/dst/blobs/uploads/?mount=${d}&from=mount/src`);
      assert.equal(m.status, 201);
      assert.equal(m.headers.get('docker-content-digest'), d);
      assert.equal((await req(base, 'HEAD', `/v2/mount/dst/blobs/${d}`)).status, 200);
      const u = await req(base, 'POST', `/v2/mount/dst/blobs/uploads/?mount=${sha('unknown')}&from=mount/src`);
      assert.equal(u.status, 202);
    },
  },
  {
    name: 'unknown blob, manifest and repository get BLOB_UNKNOWN, MANIFEST_UNKNOWN, NAME_UNKNOWN',
    async run(base) {
      const b = await req(base, 'GET', `/v2/nothing/blobs/${sha('x')}`);
      assert.equal(b.status, 404);
      assert.equal(errorCode(b), 'BLOB_UNKNOWN');
      const m = await req(base, 'GET', '/v2/nothing/manifests/latest', { headers: { Accept: OCI_MANIFEST } });
      assert.equal(m.status, 404);
      assert.equal(errorCode(m), 'MANIFEST_UNKNOWN');
      const t = await req(base, 'GET', '/v2/nothing/tags/list');
      assert.equal(t.status, 404);
      assert.equal(errorCode(t), 'NAME_UNKNOWN');
    },
  },
  {
    name: 'manifest PUT, GET and HEAD by tag and digest, with digest and location headers',
    async run(base) {
      const img = await pushImage(base, 'man/img', 'v1');
      for (const ref of ['v1', img.digest]) {
        const g = await req(base, 'GET', `/v2/man/img/manifests/${ref}`, { headers: { Accept: `${OCI_MANIFEST}, ${DOCKER_MANIFEST}` } });
        assert.equal(g.status, 200);
        assert.equal(g.body.toString(), img.body);
        assert.equal(g.headers.get('content-type'), OCI_MANIFEST);
        assert.equal(g.headers.get('docker-content-digest'), img.digest);
        const h = await req(base, 'HEAD', `/v2/man/img/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
        assert.equal(h.status, 200);
        assert.equal(h.headers.get('content-length'), String(Buffer.byteLength(img.body)));
      }
    },
  },
  {
    name: 'a manifest naming a blob the repository lacks is MANIFEST_BLOB_UNKNOWN',
    async run(base) {
      const layer = await pushBlob(base, 'other/repo', randomBytes(50));
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: layer, size: 50 },
        layers: [],
      });
      const r = await req(base, 'PUT', '/v2/lacking/repo/manifests/v1', { body, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(r.status, 400);
      assert.equal(errorCode(r), 'MANIFEST_BLOB_UNKNOWN');
    },
  },
  {
    name: 'a manifest that is not JSON is MANIFEST_INVALID',
    async run(base) {
      const r = await req(base, 'PUT', '/v2/junk/manifests/v1', { body: 'not json {', headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(r.status, 400);
      assert.equal(errorCode(r), 'MANIFEST_INVALID');
    },
  },
  {
    name: 'a manifest PUT by digest must match its bytes',
    async run(base) {
      const img = await pushImage(base, 'bydigest', 'v1');
      const r = await req(base, 'PUT', `/v2/bydigest/manifests/${sha('other')}`, { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(r.status, 400);
      assert.equal(errorCode(r), 'DIGEST_INVALID');
    },
  },
  {
    name: 'an index names manifests the repository holds; an unknown child is refused',
    async run(base) {
      const img = await pushImage(base, 'idx', 'child');
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: img.digest, size: Buffer.byteLength(img.body), platform: { architecture: 'amd64', os: 'linux' } }],
      });
      const r = await req(base, 'PUT', '/v2/idx/manifests/multi', { body, headers: { 'Content-Type': OCI_INDEX } });
      assert.equal(r.status, 201, r.body.toString());
      const g = await req(base, 'GET', '/v2/idx/manifests/multi', { headers: { Accept: OCI_INDEX } });
      assert.equal(g.headers.get('content-type'), OCI_INDEX);
      const bad = body.replace(img.digest, sha('missing'));
      const r2 = await req(base, 'PUT', '/v2/idx/manifests/bad', { body: bad, headers: { 'Content-Type': OCI_INDEX } });
      assert.equal(r2.status, 400);
      assert.equal(errorCode(r2), 'MANIFEST_BLOB_UNKNOWN');
    },
  },
  {
    name: 'tags/list lists every tag of a repository',
    async run(base) {
      const img = await pushImage(base, 'paged', 'a');
      for (const t of ['b', 'c']) {
        const r = await req(base, 'PUT', `/v2/paged/manifests/${t}`, { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
        assert.equal(r.status, 201);
      }
      // Unpaged, distribution 2.8 lists in storage order; the pages below must be lexical.
      const all = all2(await req(base, 'GET', '/v2/paged/tags/list'));
      assert.deepEqual({ ...all, tags: [...all.tags].sort() }, { name: 'paged', tags: ['a', 'b', 'c'] });
    },
  },
  {
    name: 'tags/list pages with n and last and a Link header (distribution 2.8 ignores n on tags)',
    berthOnly: true,
    async run(base) {
      const img = await pushImage(base, 'paged2', 'a');
      for (const t of ['c', 'b']) {
        const r = await req(base, 'PUT', `/v2/paged2/manifests/${t}`, { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
        assert.equal(r.status, 201);
      }
      assert.deepEqual(all2(await req(base, 'GET', '/v2/paged2/tags/list')).tags, ['a', 'b', 'c']);
      assert.deepEqual(all2(await req(base, 'GET', '/v2/paged2/tags/list?n=0')).tags, []);
      const p1 = await req(base, 'GET', '/v2/paged2/tags/list?n=2');
      assert.deepEqual((p1.json() as { tags: string[] }).tags, ['a', 'b']);
      assert.match(p1.headers.get('link') ?? '', /<\/v2\/paged2\/tags\/list\?.*last=b.*>; rel="next"/);
      const p2 = await req(base, 'GET', '/v2/paged2/tags/list?n=2&last=b');
      assert.deepEqual((p2.json() as { tags: string[] }).tags, ['c']);
      assert.equal(p2.headers.get('link'), null);
    },
  },
  {
    name: '_catalog lists repositories with n and last',
    async run(base) {
      await pushImage(base, 'cat/one', 'x');
      await pushImage(base, 'cat/two', 'x');
      const all = (await req(base, 'GET', '/v2/_catalog')).json() as { repositories: string[] };
      assert.ok(all.repositories.includes('cat/one') && all.repositories.includes('cat/two'));
      const p = await req(base, 'GET', '/v2/_catalog?n=1&last=cat/one');
      assert.deepEqual((p.json() as { repositories: string[] }).repositories, ['cat/two']);
      assert.match(p.headers.get('link') ?? '', /rel="next"/);
    },
  },
  {
    name: 'DELETE of a manifest by digest removes it and its tags; DELETE of a blob unlinks it',
    async run(base) {
      const img = await pushImage(base, 'del', 'v1');
      assert.equal((await req(base, 'DELETE', `/v2/del/manifests/${img.digest}`)).status, 202);
      const g = await req(base, 'GET', `/v2/del/manifests/${img.digest}`, { headers: { Accept: OCI_MANIFEST } });
      assert.equal(g.status, 404);
      assert.equal(errorCode(g), 'MANIFEST_UNKNOWN');
      assert.equal((await req(base, 'GET', '/v2/del/manifests/v1', { headers: { Accept: OCI_MANIFEST } })).status, 404);
      assert.equal((await req(base, 'DELETE', `/v2/del/blobs/${img.layer}`)).status, 202);
      const h = await req(base, 'HEAD', `/v2/del/blobs/${img.layer}`);
      assert.equal(h.status, 404);
    },
  },
  {
    name: 'deleting a blob in one repository leaves another repository image intact',
    async run(base) {
      const img = await pushImage(base, 'shared/a', 'v1');
      const m = await req(base, 'POST', `/v2/shared/b/blobs/uploads/?mount=${img.layer}&from=shared/a`);
      assert.equal(m.status, 201);
      assert.equal((await req(base, 'DELETE', `/v2/shared/b/blobs/${img.layer}`)).status, 202);
      assert.equal((await req(base, 'GET', `/v2/shared/a/blobs/${img.layer}`)).status, 200);
    },
  },
  {
    name: 'names and tags outside the grammar, and path tricks, are NAME_INVALID / TAG_INVALID',
    berthOnly: true,
    async run(base) {
      for (const p of ['/v2/UPPER/tags/list', '/v2/a/%2e%2e/b/tags/list', '/v2/a/../b/tags/list', '/v2/a//b/tags/list', '/v2/a%2fb/tags/list']) {
        const r = await rawGet(base, p);
        assert.equal(r.status, 400, p);
        assert.equal(errorCode(r), 'NAME_INVALID', p);
      }
      const t = await req(base, 'PUT', '/v2/ok/manifests/-bad', { body: '{}', headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(t.status, 400);
      assert.equal(errorCode(t), 'TAG_INVALID');
    },
  },
  {
    name: 'a manifest over 4 MiB is refused with SIZE_INVALID',
    berthOnly: true,
    async run(base) {
      const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, annotations: { big: 'x'.repeat(4 << 20) } });
      const r = await req(base, 'PUT', '/v2/big/manifests/v1', { body, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(r.status, 413);
      assert.equal(errorCode(r), 'SIZE_INVALID');
    },
  },
  {
    name: 'referrers: a manifest with a subject is listed, filtered by artifactType',
    berthOnly: true,
    async run(base) {
      const img = await pushImage(base, 'refs', 'v1');
      const subject = { mediaType: OCI_MANIFEST, digest: img.digest, size: Buffer.byteLength(img.body) };
      const empty = Buffer.from('{}');
      const emptyDigest = await pushBlob(base, 'refs', empty);
      const sig = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example.sig',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: 2 },
        layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: 2 }],
        subject,
        annotations: { 'org.example.k': 'v' },
      });
      const p = await req(base, 'PUT', `/v2/refs/manifests/${sha(sig)}`, { body: sig, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(p.status, 201, p.body.toString());
      assert.equal(p.headers.get('oci-subject'), img.digest);
      const r = await req(base, 'GET', `/v2/refs/referrers/${img.digest}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), OCI_INDEX);
      const idx = r.json() as { manifests: { digest: string; artifactType?: string; annotations?: Record<string, string> }[] };
      assert.equal(idx.manifests.length, 1);
      assert.equal(idx.manifests[0]?.digest, sha(sig));
      assert.equal(idx.manifests[0]?.artifactType, 'application/vnd.example.sig');
      assert.deepEqual(idx.manifests[0]?.annotations, { 'org.example.k': 'v' });
      const f = await req(base, 'GET', `/v2/refs/referrers/${img.digest}?artifactType=application/other`);
      assert.equal(f.headers.get('oci-filters-applied'), 'artifactType');
      assert.deepEqual((f.json() as { manifests: unknown[] }).manifests, []);
    },
  },
  {
    name: 'a PATCH to an unknown upload is BLOB_UPLOAD_UNKNOWN (distribution 2.8 says BLOB_UPLOAD_INVALID)',
    berthOnly: true,
    async run(base) {
      const r = await req(base, 'PATCH', '/v2/nope/blobs/uploads/0b5c1b0e-5c9e-4a36-9a8a-3f1d9d2f8a11', { body: 'x', headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(r.status, 404);
      assert.equal(errorCode(r), 'BLOB_UPLOAD_UNKNOWN');
    },
  },
  {
    name: 'a range past the end of a blob is 416 (distribution 2.8 cuts the connection)',
    berthOnly: true,
    async run(base) {
      const d = await pushBlob(base, 'ranges', randomBytes(10));
      assert.equal((await req(base, 'GET', `/v2/ranges/blobs/${d}`, { headers: { Range: 'bytes=50-60' } })).status, 416);
    },
  },
  {
    name: 'an upload session belongs to its repository',
    berthOnly: true,
    async run(base) {
      const s = await req(base, 'POST', '/v2/owner/blobs/uploads/');
      const other = location(s).replace('/v2/owner/', '/v2/thief/');
      const r = await req(base, 'GET', other);
      assert.equal(r.status, 404);
      assert.equal(errorCode(r), 'BLOB_UPLOAD_UNKNOWN');
    },
  },
  {
    name: 'a manifest whose mediaType contradicts its Content-Type, or with another schemaVersion, is MANIFEST_INVALID (distribution 2.8: 500)',
    berthOnly: true,
    async run(base) {
      const img = await pushImage(base, 'mt', 'v1');
      const r = await req(base, 'PUT', '/v2/mt/manifests/v2', { body: img.body, headers: { 'Content-Type': DOCKER_MANIFEST } });
      assert.equal(r.status, 400);
      assert.equal(errorCode(r), 'MANIFEST_INVALID');
      const v1 = img.body.replace('"schemaVersion":2', '"schemaVersion":3');
      const r2 = await req(base, 'PUT', '/v2/mt/manifests/v3', { body: v1, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(r2.status, 400);
      assert.equal(errorCode(r2), 'MANIFEST_INVALID');
    },
  },
  {
    name: 'DELETE by tag removes only the tag (OCI 1.1); referrers of an unknown subject are an empty index',
    berthOnly: true,
    async run(base) {
      const img = await pushImage(base, 'untag', 'v1');
      assert.equal((await req(base, 'DELETE', '/v2/untag/manifests/v1')).status, 202);
      assert.equal((await req(base, 'GET', '/v2/untag/manifests/v1')).status, 404);
      assert.equal((await req(base, 'GET', `/v2/untag/manifests/${img.digest}`)).status, 200);
      const r = await req(base, 'GET', `/v2/untag/referrers/${sha('nothing')}`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json(), { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
    },
  },
];

for (const start of [startBerthRegistry, startDistribution]) {
  const which = start === startBerthRegistry ? 'berth' : 'distribution';
  describe(`registry protocol (${which})`, () => {
    let server: RunningServer;
    before(async () => {
      server = await start();
    });
    after(async () => {
      await server?.cleanup();
    });
    for (const c of checks) {
      if (c.berthOnly && which !== 'berth') continue;
      test(c.name, () => c.run(server.url));
    }
  });
}
