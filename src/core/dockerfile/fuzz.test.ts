import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BerthError } from '../../errdefs/index.js';
import { parseStages } from './instructions.js';
import { expandWord, expandWords } from './shell-lex.js';

/*
 * Fuzzing the Dockerfile parser and the shell-word expansion: any text either parses or is refused
 * with a documented error (a BerthError naming the line), never a TypeError, never a hang.
 */
const RUNS = Number(process.env['BERTH_FUZZ_RUNS'] ?? 150);

const word = fc.stringMatching(/^[-a-zA-Z0-9_$={}:+?"'\\/.*\[\] \t]{0,24}$/);
const keyword = fc.constantFrom('FROM', 'RUN', 'CMD', 'COPY', 'ADD', 'ENV', 'ARG', 'LABEL', 'EXPOSE', 'WORKDIR', 'USER', 'VOLUME', 'ENTRYPOINT', 'SHELL', 'STOPSIGNAL', 'HEALTHCHECK', 'ONBUILD', 'MAINTAINER', 'from', 'BOGUS', '#', '# escape=`', '# syntax=docker/dockerfile:1');
const line = fc.oneof(
  fc.tuple(keyword, fc.array(word, { maxLength: 5 })).map(([k, ws]) => `${k} ${ws.join(' ')}`),
  fc.tuple(keyword, fc.array(word, { maxLength: 4 })).map(([k, ws]) => `${k} ${JSON.stringify(ws)}`),
  fc.constantFrom('RUN <<EOF', 'EOF', 'RUN echo \\', '  continued', 'COPY --from=0 --chown=1:1 a b', 'FROM busybox AS x', 'ARG A=${B:-c}', ''),
);

function documented(e: unknown): void {
  assert.ok(e instanceof BerthError, `undocumented error: ${e instanceof Error ? e.stack : String(e)}`);
}

test('fuzz: Dockerfiles parse or fail with a documented error', () => {
  fc.assert(
    fc.property(fc.array(line, { maxLength: 14 }), fc.string({ maxLength: 60 }), (lines, noise) => {
      for (const text of [lines.join('\n'), `FROM busybox\n${lines.join('\n')}`, noise]) {
        try {
          parseStages(text);
        } catch (e) {
          documented(e);
        }
      }
    }),
    { numRuns: RUNS * 4 },
  );
});

test('fuzz: shell-word expansion of any word returns text or a documented error', () => {
  const env: Record<string, string> = { A: 'a b', EMPTY: '', HOME: '/root' };
  fc.assert(
    fc.property(fc.oneof(word, fc.string({ maxLength: 40 })), fc.constantFrom('\\', '`'), (w, escape) => {
      for (const f of [() => expandWord(w, (n) => env[n], escape), () => expandWords(w, (n) => env[n], escape)]) {
        try {
          f();
        } catch (e) {
          documented(e);
        }
      }
    }),
    { numRuns: RUNS * 4 },
  );
});
