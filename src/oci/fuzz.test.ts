import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BerthError } from '../errdefs/index.js';
import { familiarString, parseReference } from './reference.js';

/* Fuzzing reference parsing: any string is a reference or a documented error; a parsed one round-trips. */
const RUNS = Number(process.env['BERTH_FUZZ_RUNS'] ?? 150);

const part = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?$/);
const ref = fc
  .record({
    host: fc.option(fc.constantFrom('127.0.0.1:5000', 'localhost', 'registry.example.com', 'docker.io'), { nil: undefined }),
    path: fc.array(part, { minLength: 1, maxLength: 3 }),
    tag: fc.option(fc.stringMatching(/^[\w][\w.-]{0,20}$/), { nil: undefined }),
  })
  .map((r) => `${r.host ? `${r.host}/` : ''}${r.path.join('/')}${r.tag ? `:${r.tag}` : ''}`);

test('fuzz: any string parses as a reference or is refused with a documented error', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 80 }), ref, ref.map((r) => `${r}@sha256:${'a'.repeat(64)}`)), (s) => {
      try {
        const r = parseReference(s);
        // What berth prints for a reference parses back to the same reference, except where Docker's
        // familiar form is itself ambiguous: docker.io/a.b/c prints as a.b/c, which names host a.b.
        const first = r.path.split('/')[0] ?? '';
        const ambiguous = r.domain === 'docker.io' && r.path.includes('/') && (/[.:]/.test(first) || first === 'localhost');
        if (!ambiguous) assert.deepEqual(parseReference(familiarString(r)), r);
      } catch (e) {
        assert.ok(e instanceof BerthError, `undocumented error for ${JSON.stringify(s)}: ${String(e)}`);
      }
    }),
    { numRuns: RUNS * 4 },
  );
});
