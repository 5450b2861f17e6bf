import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Slots } from './slots.js';

function gate(): { open: () => void; wait: Promise<void> } {
  let open = (): void => undefined;
  const wait = new Promise<void>((r) => (open = r));
  return { open, wait };
}

test('at most size holders at once, let in in order of arrival', async () => {
  const slots = new Slots(2);
  let inside = 0;
  let most = 0;
  const order: number[] = [];
  const gates = Array.from({ length: 5 }, gate);
  const waited: number[] = [];
  const runs = gates.map((g, i) =>
    slots.run(
      async () => {
        order.push(i);
        most = Math.max(most, ++inside);
        await g.wait;
        inside--;
      },
      { onWait: () => waited.push(i) },
    ),
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [0, 1]);
  assert.deepEqual(waited, [2, 3, 4]);
  assert.equal(slots.waiting, 3);
  // The second holder leaving lets in the third, not any later one.
  gates[1]?.open();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [0, 1, 2]);
  for (const g of gates) g.open();
  await Promise.all(runs);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.equal(most, 2);
  assert.equal(slots.waiting, 0);
});

test('a failing holder gives its slot back', async () => {
  const slots = new Slots(1);
  await assert.rejects(slots.run(() => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await slots.run(() => Promise.resolve(7)), 7);
});

test('an abort while waiting leaves the queue and the slot goes to the next', async () => {
  const slots = new Slots(1);
  const first = gate();
  const held = slots.run(() => first.wait);
  const ac = new AbortController();
  const aborted = slots.run(() => Promise.resolve('never'), { signal: ac.signal });
  const third = slots.run(() => Promise.resolve('third'));
  ac.abort(new Error('cancelled by the client'));
  await assert.rejects(aborted, /cancelled by the client/);
  assert.equal(slots.waiting, 1);
  first.open();
  await held;
  assert.equal(await third, 'third');
  // An already aborted signal is refused before it queues.
  await assert.rejects(slots.run(() => Promise.resolve(1), { signal: ac.signal }), /cancelled by the client/);
});
