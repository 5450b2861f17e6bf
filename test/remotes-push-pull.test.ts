import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TestDaemon } from './helpers/daemon.js';
import { startRegistry } from './remotes-helpers.js';

test('push to a distribution registry, rmi, pull back by tag and by digest; docker CLI too', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const d = await TestDaemon.start();
  t.after(() => d.cleanup());
  await d.makeBusyboxImage('busybox:latest');
  const id = (await d.berth(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  const name = `${reg.host}/x`;
  assert.equal((await d.berth(['tag', 'busybox', `${name}:1`])).code, 0);

  const pushed = await d.berth(['push', `${name}:1`]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const digest = /1: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(pushed.stdout)?.[1];
  assert.ok(digest, `no digest in push output: ${pushed.stdout}`);
  const repoDigests = (await d.berth(['image', 'inspect', '-f', '{{json .RepoDigests}}', `${name}:1`])).stdout;
  assert.ok(repoDigests.includes(`${name}@${digest}`), repoDigests);

  // skopeo, an independent client, reads what berth pushed.
  const sk = await d.run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${name}:1`]);
  assert.equal(sk.code, 0, sk.stderr);
  assert.equal(`sha256:${createHash('sha256').update(sk.stdout).digest('hex')}`, digest);

  // Pushing again finds every blob there already.
  const again = await d.berth(['push', `${name}:1`]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Layer already exists/);

  // The docker CLI pushes another tag through berthd.
  assert.equal((await d.berth(['tag', 'busybox', `${name}:2`])).code, 0);
  const dockerPush = await d.docker(['push', `${name}:2`]);
  assert.equal(dockerPush.code, 0, dockerPush.stderr);
  assert.match(dockerPush.stdout, new RegExp(`2: digest: ${digest} size:`));

  assert.equal((await d.berth(['rmi', 'busybox', `${name}:1`, `${name}:2`])).code, 0);
  assert.notEqual((await d.berth(['image', 'inspect', id])).code, 0, 'image should be gone');

  const pulled = await d.berth(['pull', `${name}:1`]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, new RegExp(`Digest: ${digest}`));
  assert.match(pulled.stdout, /Downloaded newer image for/);
  assert.equal((await d.berth(['image', 'inspect', '-f', '{{.Id}}', `${name}:1`])).stdout.trim(), id, 'same image ID after the round trip');
  const rd = (await d.berth(['image', 'inspect', '-f', '{{json .RepoDigests}}', `${name}:1`])).stdout;
  assert.ok(rd.includes(`${name}@${digest}`), rd);

  // The pulled image runs.
  const run = await d.berth(['run', '--rm', `${name}:1`, 'echo', 'pulled-ok']);
  assert.equal(run.stdout.trim(), 'pulled-ok', run.stderr);

  // A second pull: up to date, layers not fetched again.
  const second = await d.berth(['pull', `${name}:1`]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /Image is up to date for/);
  assert.match(second.stdout, /Already exists/);

  // By digest, through the docker CLI.
  assert.equal((await d.berth(['rmi', `${name}:1`])).code, 0);
  const byDigest = await d.docker(['pull', `${name}@${digest}`]);
  assert.equal(byDigest.code, 0, byDigest.stderr);
  assert.equal((await d.berth(['image', 'inspect', '-f', '{{.Id}}', `${name}@${digest}`])).stdout.trim(), id);

  // pull -a brings every tag of the repository.
  const all = await d.berth(['pull', '-a', name]);
  assert.equal(all.code, 0, all.stderr);
  const tags = (await d.berth(['image', 'inspect', '-f', '{{json .RepoTags}}', id])).stdout;
  assert.ok(tags.includes(`${name}:1`) && tags.includes(`${name}:2`), tags);

  // A missing tag is a direct 404 with Docker's words.
  const missing = await d.docker(['pull', `${name}:nope`]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /manifest for .*x:nope not found: manifest unknown/);
  const missing2 = await d.berth(['pull', `${name}:nope`]);
  assert.notEqual(missing2.code, 0);
  assert.match(missing2.stderr, /not found: manifest unknown/);
});
