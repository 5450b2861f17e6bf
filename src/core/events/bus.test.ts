import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, eventMatches, type EngineEvent } from './bus.js';

test('filters by type, event, container, image and label', () => {
  const e: EngineEvent = { type: 'container', action: 'die', id: 'abc123', attributes: { name: 'web', image: 'busybox', team: 'x' }, timeNano: 1n };
  const f = (o: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(o));
  assert.ok(eventMatches(e, f({ type: ['container'], event: ['die', 'start'] })));
  assert.ok(!eventMatches(e, f({ type: ['image'] })));
  assert.ok(eventMatches(e, f({ container: ['web'] })));
  assert.ok(eventMatches(e, f({ container: ['abc'] })));
  assert.ok(eventMatches(e, f({ image: ['busybox'] })));
  assert.ok(eventMatches(e, f({ label: ['team=x'] })));
  assert.ok(!eventMatches(e, f({ label: ['team=y'] })));
});

test('replays history since a time, then streams live events, until the signal aborts', async () => {
  const bus = new EventBus();
  const first = bus.publish('container', 'create', 'a');
  bus.publish('image', 'tag', 'busybox:latest');
  const ac = new AbortController();
  const got: string[] = [];
  const done = (async () => {
    for await (const e of bus.subscribe({ since: first.timeNano, filters: new Map([['type', ['container']]]), signal: ac.signal })) {
      got.push(`${e.action}:${e.id}`);
      if (got.length === 2) ac.abort();
    }
  })();
  await new Promise((r) => setTimeout(r, 10));
  bus.publish('container', 'start', 'a');
  await done;
  assert.deepEqual(got, ['create:a', 'start:a']);
});

test('until in the past ends after the replay', async () => {
  const bus = new EventBus();
  const a = bus.publish('container', 'create', 'a');
  const b = bus.publish('container', 'start', 'a');
  bus.publish('container', 'die', 'a');
  const got: string[] = [];
  for await (const e of bus.subscribe({ since: a.timeNano, until: b.timeNano })) got.push(e.action);
  assert.deepEqual(got, ['create', 'start']);
});
