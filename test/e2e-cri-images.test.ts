import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestDaemon, eventually } from './helpers/daemon.js';
import { CriClient, status, type CriResult } from './helpers/cri.js';
import { startRegistry, type Registry } from './remotes-helpers.js';

/*
 * The CRI ImageService against a real registry (Debian's distribution) on 127.0.0.1: pulls, also of
 * registry.k8s.io through a mirror keyed by that registry as kubelet nodes configure it, on the one
 * store that `berth images` lists.
 */
interface CriImage {
  id: string;
  repo_tags: string[];
  repo_digests: string[];
  size: string;
  uid: { value: string } | null;
  username: string;
  pinned: boolean;
}

let d: TestDaemon;
let cri: CriClient;
let reg: Registry;
let mirror: Registry;

before(async () => {
  reg = await startRegistry();
  mirror = await startRegistry();
  d = await TestDaemon.start({ cri: true, config: () => ({ 'registry-mirrors': { 'registry.k8s.io': [mirror.url] } }) });
  await d.makeBusyboxImage('busybox:latest');
  // The registry's image, and the pause image on the mirror (as registry.k8s.io's path, pause:3.9),
  // each an image of its own (imported apart, so their configs and ids differ).
  for (const ref of [`${reg.host}/cri/busybox:1`, `${mirror.host}/pause:3.9`]) {
    await d.makeBusyboxImage(ref);
    const pushed = await d.berth(['push', ref]);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.equal((await d.berth(['rmi', ref])).code, 0);
  }
  cri = new CriClient(d.criSocket);
  await cri.ready();
});

after(async () => {
  cri?.close();
  await d?.cleanup();
  await reg?.stop();
  await mirror?.stop();
});

function failed(r: CriResult): { code: status; details: string } {
  assert.equal(r.ok, false, `expected a failure, got ${JSON.stringify(r)}`);
  return r as { code: status; details: string };
}

async function listImages(ref = ''): Promise<CriImage[]> {
  return (CriClient.ok(await cri.img('ListImages', ref ? { filter: { image: { image: ref } } } : {})) as { images: CriImage[] }).images;
}

async function berthImages(): Promise<string> {
  const r = await d.berth(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', '--no-trunc']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('PullImage from a registry: the image id back, in ListImages and ImageStatus (verbose too), and in `berth images`', async () => {
  const ref = `${reg.host}/cri/busybox:1`;
  const pulled = CriClient.ok(await cri.img('PullImage', { image: { image: ref } }));
  const id = pulled['image_ref'] as string;
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  assert.match(await berthImages(), new RegExp(`^${reg.host}/cri/busybox:1 ${id}$`, 'm'));

  const [img, ...rest] = await listImages(ref);
  assert.equal(rest.length, 0, 'the filter keeps only the image the reference names');
  assert.equal(img?.id, id);
  assert.ok(img?.repo_tags.includes(`${reg.host}/cri/busybox:1`), JSON.stringify(img));
  assert.ok(img?.repo_digests.some((r) => new RegExp(`^${reg.host}/cri/busybox@sha256:[a-f0-9]{64}$`).test(r)), JSON.stringify(img));
  assert.ok(Number(img?.size) > 0);
  assert.equal(img?.pinned, false);

  const byId = CriClient.ok(await cri.img('ImageStatus', { image: { image: id }, verbose: true })) as { image: CriImage; info: Record<string, string> };
  assert.equal(byId.image.id, id);
  const info = JSON.parse(byId.info['info'] ?? '{}') as { chainID: string; imageSpec: { rootfs: { diff_ids: string[] }; config: { Cmd: string[] } } };
  assert.match(info.chainID, /^sha256:[a-f0-9]{64}$/);
  assert.deepEqual(info.imageSpec.config.Cmd, ['sh']);
  assert.equal(info.imageSpec.rootfs.diff_ids.length, 1);
  const byRef = CriClient.ok(await cri.img('ImageStatus', { image: { image: ref } })) as { image: CriImage; info: Record<string, string> };
  assert.equal(byRef.image.id, id);
  assert.deepEqual(byRef.info, {}, 'no verbose info unless asked');
});

test('images berth imported are CRI images too, named in full', async () => {
  const all = await listImages();
  const bb = all.find((i) => i.repo_tags.includes('docker.io/library/busybox:latest'));
  assert.ok(bb, JSON.stringify(all.map((i) => i.repo_tags)));
  assert.deepEqual(await listImages('busybox'), [bb]);
  assert.deepEqual(await listImages('docker.io/library/busybox:latest'), [bb]);
  assert.deepEqual(await listImages(bb.id), [bb]);
  assert.deepEqual(await listImages('no-such-image:1'), []);
});

test('registry.k8s.io/pause:3.9 through a mirror keyed by registry.k8s.io; the sandbox image is pinned', async () => {
  const pulled = CriClient.ok(await cri.img('PullImage', { image: { image: 'registry.k8s.io/pause:3.9' } }));
  const id = pulled['image_ref'] as string;
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  const st = CriClient.ok(await cri.img('ImageStatus', { image: { image: 'registry.k8s.io/pause:3.9' } })) as { image: CriImage };
  assert.deepEqual(st.image.repo_tags, ['registry.k8s.io/pause:3.9']);
  assert.equal(st.image.pinned, true, 'kubelet must not collect the pause image');
  assert.match(await berthImages(), new RegExp(`^registry\\.k8s\\.io/pause:3\\.9 ${id}$`, 'm'));
});

test('NotFound and bad requests: a missing tag, an absent image (not an error in ImageStatus), an empty ImageSpec', async () => {
  const missing = failed(await cri.img('PullImage', { image: { image: `${reg.host}/cri/busybox:nope` } }));
  assert.equal(missing.code, status.NOT_FOUND, missing.details);
  assert.match(missing.details, /cri\/busybox:nope/);
  const absent = CriClient.ok(await cri.img('ImageStatus', { image: { image: `${reg.host}/cri/absent:1` } }));
  assert.equal(absent['image'], null);
  for (const rpc of ['PullImage', 'ImageStatus', 'RemoveImage']) {
    const empty = failed(await cri.img(rpc, { image: { image: '' } }));
    assert.equal(empty.code, status.INVALID_ARGUMENT, `${rpc}: ${empty.details}`);
    assert.match(empty.details, new RegExp(`^${rpc}: the image is required`));
  }
  const badRef = failed(await cri.img('PullImage', { image: { image: 'BusyBox:1' } }));
  assert.equal(badRef.code, status.INVALID_ARGUMENT, badRef.details);
  const badAuth = failed(await cri.img('PullImage', { image: { image: `${reg.host}/cri/busybox:1` }, auth: { auth: 'bm9jb2xvbg==' } }));
  assert.equal(badAuth.code, status.INVALID_ARGUMENT, badAuth.details);
  assert.match(badAuth.details, /AuthConfig\.auth/);
});

test('RemoveImage by reference and by id; removing what is gone succeeds; `berth images` agrees', async () => {
  const ref = `${reg.host}/cri/busybox:1`;
  const id = CriClient.ok(await cri.img('PullImage', { image: { image: ref } }))['image_ref'] as string;
  assert.equal((await d.berth(['tag', id, `${reg.host}/cri/busybox:other`])).code, 0);
  CriClient.ok(await cri.img('RemoveImage', { image: { image: ref } }));
  // Every reference goes with the image, as containerd's CRI removes it.
  assert.equal(CriClient.ok(await cri.img('ImageStatus', { image: { image: id } }))['image'], null);
  assert.doesNotMatch(await berthImages(), new RegExp(`${reg.host}/cri/busybox`));
  CriClient.ok(await cri.img('RemoveImage', { image: { image: ref } }));
  CriClient.ok(await cri.img('RemoveImage', { image: { image: id } }));

  const again = CriClient.ok(await cri.img('PullImage', { image: { image: ref } }))['image_ref'] as string;
  assert.equal(again, id);
  CriClient.ok(await cri.img('RemoveImage', { image: { image: again } }));
  assert.deepEqual(await listImages(ref), []);
  assert.doesNotMatch(await berthImages(), new RegExp(`${reg.host}/cri/busybox`));
});

test('ImageFsInfo: the data root, bytes and inodes in use, now', async () => {
  const before = Date.now();
  const r = CriClient.ok(await cri.img('ImageFsInfo', {})) as {
    image_filesystems: { timestamp: string; fs_id: { mountpoint: string }; used_bytes: { value: string }; inodes_used: { value: string } }[];
  };
  assert.equal(r.image_filesystems.length, 1);
  const fs = r.image_filesystems[0];
  assert.equal(fs?.fs_id.mountpoint, d.dataRoot);
  // busybox's layer alone is about a megabyte and a few hundred files.
  assert.ok(Number(fs?.used_bytes.value) > 500_000, fs?.used_bytes.value);
  assert.ok(Number(fs?.inodes_used.value) > 100, fs?.inodes_used.value);
  const ms = Number(BigInt(fs?.timestamp ?? '0') / 1_000_000n);
  assert.ok(ms >= before - 1000 && ms <= Date.now() + 1000, `timestamp ${fs?.timestamp} is in nanoseconds, now`);
});

// bcrypt (cost 4) of "s3cret-pw", for the registry's htpasswd.
const HTPASSWD = 'alice:$2b$04$5G4DCDhJO4GVVIftDblwyeFkZoR/6Sx7A1y6ptEx2B/h48fsIfexm\n';

test('PullImage with AuthConfig from a registry that wants a password: refused without, with a wrong one; username/password and auth both work', async (t) => {
  const priv = await startRegistry({ htpasswd: HTPASSWD });
  t.after(() => priv.stop());
  const ref = `${priv.host}/private/app:1`;
  // skopeo (a real client) copies the image in, so that no credentials of berthd's own are involved.
  const copied = await d.run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret-pw', `docker://${reg.host}/cri/busybox:1`, `docker://${ref}`]);
  assert.equal(copied.code, 0, copied.stderr);

  const anon = failed(await cri.img('PullImage', { image: { image: ref } }));
  assert.equal(anon.code, status.UNAUTHENTICATED, anon.details);
  const wrong = failed(await cri.img('PullImage', { image: { image: ref }, auth: { username: 'alice', password: 'nope', server_address: priv.host } }));
  assert.equal(wrong.code, status.UNAUTHENTICATED, wrong.details);

  const first = CriClient.ok(await cri.img('PullImage', { image: { image: ref }, auth: { username: 'alice', password: 's3cret-pw', server_address: priv.host } }));
  assert.match(first['image_ref'] as string, /^sha256:[a-f0-9]{64}$/);
  CriClient.ok(await cri.img('RemoveImage', { image: { image: ref } }));
  const second = CriClient.ok(await cri.img('PullImage', { image: { image: ref }, auth: { auth: Buffer.from('alice:s3cret-pw').toString('base64') } }));
  assert.equal(second['image_ref'], first['image_ref']);
  assert.match(await berthImages(), new RegExp(`^${priv.host}/private/app:1 ${String(first['image_ref'])}$`, 'm'));
});

test('a PullImage whose caller gives up (deadline) stops its registry request; the daemon keeps serving', async (t) => {
  // A registry that answers /v2/ and then never answers the manifest request.
  const open = new Set<string>();
  const closed: string[] = [];
  const stall = createServer((req, res) => {
    if (req.url === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const url = req.url ?? '';
    open.add(url);
    req.socket.on('close', () => {
      open.delete(url);
      closed.push(url);
    });
  });
  await new Promise<void>((res) => stall.listen(0, '127.0.0.1', res));
  t.after(
    () =>
      new Promise<void>((res) => {
        // Connections first: close() alone would wait for a request that hangs on purpose.
        stall.closeAllConnections();
        stall.close(() => res());
      }),
  );
  const host = `127.0.0.1:${(stall.address() as AddressInfo).port}`;

  const r = failed(await cri.img('PullImage', { image: { image: `${host}/slow/app:1` } }, 1500));
  assert.equal(r.code, status.DEADLINE_EXCEEDED, r.details);
  assert.ok(closed.length + open.size > 0, 'the pull reached the registry');
  await eventually(async () => closed.some((u) => u.includes('/v2/slow/app/manifests/1')) && open.size === 0, 15_000, 'the manifest request to be dropped');
  assert.equal(CriClient.ok(await cri.img('ImageStatus', { image: { image: `${host}/slow/app:1` } }))['image'], null);
  assert.equal(CriClient.ok(await cri.rt('Version', {}))['runtime_name'], 'berth');
});
