import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

/** The same command through both CLIs against one berthd: the same bytes out. */
async function same(args: string[], normalize: (s: string) => string = (s) => s): Promise<string> {
  const b = await d.berth(args);
  const k = await d.docker(args);
  assert.equal(b.code, 0, `berth ${args.join(' ')}: ${b.stderr}`);
  assert.equal(k.code, 0, `docker ${args.join(' ')}: ${k.stderr}`);
  assert.equal(normalize(b.stdout), normalize(k.stdout), `berth and docker differ on ${args.join(' ')}`);
  return b.stdout;
}

/** "2 seconds ago" may tick between the two runs, and move the columns with it. */
const ago = (s: string): string => s.replace(/(\d+|About an?|Less than a) (seconds?|minutes?|hours?) ago/g, 'N ago').replace(/ {2,}/g, '  ');

test('image history: table, --no-trunc, -q, --format and --human=false print as the docker CLI prints them', async () => {
  const c = (await d.berth(['create', 'busybox', 'sh', '-c', 'echo layer > /f'])).stdout.trim();
  assert.equal((await d.berth(['start', '-a', c])).code, 0);
  assert.equal((await d.berth(['commit', '-m', 'a message', c, 'hist:1'])).code, 0);
  const table = await same(['history', 'hist:1'], ago);
  assert.match(table, /^IMAGE +CREATED +CREATED BY +SIZE +COMMENT\n/);
  const full = await same(['image', 'history', '--no-trunc', 'hist:1'], ago);
  assert.match(full, /sha256:[a-f0-9]{64}/);
  const q = await same(['history', '-q', 'hist:1'], ago);
  assert.match(q, /^([a-f0-9]{12}|<missing>)\n/);
  await same(['history', '-q', '--no-trunc', 'hist:1'], ago);
  const f = await same(['history', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}', 'hist:1'], ago);
  assert.match(f, /\|a message\n/);
  await same(['history', '--format', 'table {{.ID}}\t{{.Size}}', 'hist:1'], ago);
  await same(['history', '--human=false', '--format', '{{.CreatedAt}} {{.Size}}', 'hist:1'], ago);
  await same(['history', '--format', 'json', 'hist:1'], ago);
  await d.berth(['rm', c]);
  await d.berth(['rmi', 'hist:1']);
});

test('ps --size / container ls -s, and stats --no-stream --format, print as the docker CLI prints them', async () => {
  const id = (await d.berth(['run', '-d', '--name', 'sized', 'busybox', 'sh', '-c', 'head -c 100000 /dev/zero > /big; sleep 300'])).stdout.trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  // Time in STATUS ("Up 2 seconds") may tick between the two runs.
  const ps = await same(['ps', '-s', '--format', '{{.Names}} {{.Size}}']);
  assert.match(ps, /^sized \d+(\.\d+)?k?B \(virtual [\d.]+[kM]?B\)\n/);
  await same(['container', 'ls', '--size', '--format', 'table {{.Names}}\t{{.Size}}']);
  const stats = await same(['stats', '--no-stream', '--format', '{{.Name}} {{.ID}} {{.PIDs}}', 'sized']);
  assert.match(stats, /^sized [a-f0-9]{12} \d+\n$/);
  await same(['stats', '--no-stream', '--format', 'table {{.Name}}\t{{.Container}}', 'sized']);
  await same(['stats', '--no-stream', '--format', '{{.Name}} {{.Container}} {{.ID}}']);
  await same(['stats', '--no-stream', '--no-trunc', '--format', '{{.Name}} {{.Container}} {{.ID}}']);
  await d.berth(['rm', '-f', id]);
});

test('events --format prints as the docker CLI prints it', async () => {
  const since = String(Math.floor(Date.now() / 1000) - 1);
  const id = (await d.berth(['create', '--name', 'evf', 'busybox', 'true'])).stdout.trim();
  assert.equal((await d.berth(['rm', id])).code, 0);
  const until = String(Math.floor(Date.now() / 1000) + 1);
  const out = await same(['events', '--since', since, '--until', until, '--filter', `container=${id}`, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.ID}}']);
  assert.equal(out, `container create evf ${id}\ncontainer destroy evf ${id}\n`);
  await same(['events', '--since', since, '--until', until, '--filter', `container=${id}`, '--format', 'json']);
  await same(['system', 'events', '--since', since, '--until', until, '--filter', `container=${id}`]);
});
