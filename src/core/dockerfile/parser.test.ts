import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, parseStages } from './index.js';

test('continuations, comments inside them, and case-insensitive instructions', () => {
  const p = parseDockerfile('# a comment\nfrom busybox\nRUN echo a \\\n  # skipped\n\n  && echo b\ncmd ["sh"]\n');
  assert.deepEqual(p.nodes.map((n) => [n.cmd, n.original, n.startLine, n.endLine]), [
    ['from', 'from busybox', 2, 2],
    ['run', 'RUN echo a   && echo b', 3, 6],
    ['cmd', 'cmd ["sh"]', 7, 7],
  ]);
});

test('the escape directive changes the continuation character', () => {
  const p = parseDockerfile('# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo hi\n');
  assert.equal(p.escape, '`');
  assert.equal(p.nodes[1]?.original, 'RUN dir c:\\   && echo hi');
  // A directive after an instruction is a plain comment.
  assert.equal(parseDockerfile('FROM x\n# escape=`\nRUN a `\n').nodes[1]?.original, 'RUN a `');
});

test('unknown instructions and bad arguments name the line', () => {
  assert.throws(() => parseDockerfile('FROM x\nRUN a\nFOO bar\n'), { message: 'Dockerfile:3\n--------------------\n   3 | >>> FOO bar\n--------------------\ndockerfile parse error on line 3: unknown instruction: FOO (did you mean from?)' });
  assert.throws(() => parseStages('FROM x\nCOPY onlyone\n'), /line 2: COPY requires at least two arguments/);
  assert.throws(() => parseStages('FROM x\nCOPY --bogus=1 a b\n'), /line 2: unknown flag: bogus/);
  assert.throws(() => parseStages('RUN x\nFROM y\n'), /line 1: RUN before FROM/);
  assert.throws(() => parseStages('FROM a b\n'), /FROM requires either one or three arguments/);
  assert.throws(() => parseStages('# only a comment\n'), /cannot be empty/);
  assert.throws(() => parseStages('FROM a\nSHELL /bin/bash -c\n'), /SHELL requires the arguments to be in JSON form/);
  assert.throws(() => parseStages('FROM a\nONBUILD ONBUILD RUN x\n'), /Chaining ONBUILD/);
});

test('stages, meta args, flags and forms', () => {
  const df = parseStages(
    [
      'ARG BASE=busybox',
      'FROM --platform=linux/amd64 ${BASE} AS Build',
      'RUN ["echo", "a b"]',
      'COPY --from=build --chown=1:2 --chmod=0755 a "b c" /dst/',
      'ENV A=1 B="two words"',
      'ENV LEGACY value with spaces',
      'ARG X Y=2',
      'HEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost',
      'HEALTHCHECK NONE',
      'EXPOSE 80/tcp 53/udp',
      'VOLUME ["/data", "/logs"]',
      'CMD echo hi',
      'FROM build',
    ].join('\n'),
  );
  assert.deepEqual(df.metaArgs[0]?.args, [{ name: 'BASE', value: 'busybox' }]);
  assert.equal(df.stages.length, 2);
  const s0 = df.stages[0]!;
  assert.deepEqual([s0.base.image, s0.base.stage, s0.base.platform], ['${BASE}', 'build', 'linux/amd64']);
  const [run, copy, env, legacy, arg, hc, none, expose, vol, cmd] = s0.instructions;
  assert.deepEqual(run?.kind === 'run' && run.cmd, { json: true, args: ['echo', 'a b'] });
  assert.ok(copy?.kind === 'copy');
  assert.deepEqual([copy.sources, copy.dest, copy.from, copy.chown, copy.chmod], [['a', '"b c"'], '/dst/', 'build', '1:2', '0755']);
  assert.deepEqual(env?.kind === 'env' && env.pairs, [['A', '1'], ['B', '"two words"']]);
  assert.deepEqual(legacy?.kind === 'env' && legacy.pairs, [['LEGACY', 'value with spaces']]);
  assert.deepEqual(arg?.kind === 'arg' && arg.args, [{ name: 'X' }, { name: 'Y', value: '2' }]);
  assert.deepEqual(hc?.kind === 'healthcheck' && hc.health, { cmd: { json: false, text: 'wget -q localhost' }, interval: '5s', retries: '3' });
  assert.deepEqual(none?.kind === 'healthcheck' && none.health, { cmd: null });
  assert.deepEqual(expose?.kind === 'expose' && expose.values, ['80/tcp', '53/udp']);
  assert.deepEqual(vol?.kind === 'volume' && vol.values, ['/data', '/logs']);
  assert.deepEqual(cmd?.kind === 'cmd' && cmd.cmd, { json: false, text: 'echo hi' });
});

test('a JSON form that is not valid JSON falls back to the shell form', () => {
  const df = parseStages("FROM x\nCMD ['single', 'quotes']\n");
  const cmd = df.stages[0]?.instructions[0];
  assert.deepEqual(cmd?.kind === 'cmd' && cmd.cmd, { json: false, text: "['single', 'quotes']" });
});
