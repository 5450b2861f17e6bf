import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFound } from '../../errdefs/index.js';
import { expandHeredoc, parseDockerfile, parseStages, withLine, type Instruction } from './index.js';

const ins = (text: string, i = 0): Instruction => parseStages(`FROM x\n${text}`).stages[0]?.instructions[i] as Instruction;

test('syntax directive: the docker/dockerfile:1 family is accepted, other frontends refused', () => {
  for (const s of ['docker/dockerfile:1', 'docker/dockerfile:1.7', 'docker/dockerfile:1.4.3', 'docker/dockerfile:1-labs', 'docker.io/docker/dockerfile:1.4', 'docker/dockerfile', 'docker/dockerfile:1.2-experimental', 'docker/dockerfile-upstream:1.7.0-labs', `docker/dockerfile:1@sha256:${'a'.repeat(64)}`]) {
    assert.equal(parseStages(`# syntax=${s}\nFROM x\n`).directives['syntax'], s);
  }
  assert.throws(() => parseStages('# syntax=example.com/my/frontend:2\nFROM x\n'), /unsupported syntax directive "example.com\/my\/frontend:2": berth .* does not run frontend images/);
  assert.throws(() => parseStages('# syntax=docker/dockerfile:2\nFROM x\n'), /unsupported syntax directive/);
  assert.throws(() => parseStages('# syntax=docker/dockerfile:1\n# syntax=docker/dockerfile:1\nFROM x\n'), /only one syntax parser directive/);
  // After an unknown directive (a comment) or an instruction, a syntax line is a comment.
  assert.equal(parseStages('# foo=bar\n# syntax=other/frontend\nFROM x\n').directives['syntax'], undefined);
  assert.equal(parseStages('FROM x\n# syntax=other/frontend\n').stages.length, 1);
});

test('escape and check directives', () => {
  const p = parseStages('# syntax = docker/dockerfile:1\n# escape=`\n# check=skip=JSONArgsRecommended,StageNameCasing;error=true\nFROM x\nRUN a `\n  b\n');
  assert.equal(p.escape, '`');
  assert.equal(p.directives['check'], 'skip=JSONArgsRecommended,StageNameCasing;error=true');
  assert.equal(parseStages('#check=skip=all\nFROM x\n').directives['check'], 'skip=all');
  assert.throws(() => parseStages('# check=error=maybe\nFROM x\n'), /invalid check directive .*error must be true or false/);
  assert.throws(() => parseStages('# check=bogus=1\nFROM x\n'), /unknown key "bogus"/);
});

test('RUN heredoc: a lone <<EOF is the shell script, a shebang makes a script file, others go to the shell whole', () => {
  const plain = ins('RUN <<EOF\necho a\necho b\nEOF\nRUN echo after\n');
  assert.deepEqual(plain.kind === 'run' && [plain.cmd, plain.script], [{ json: false, text: 'echo a\necho b\n' }, undefined]);
  const after = ins('RUN <<EOF\necho a\nEOF\nRUN echo after\n', 1);
  assert.equal(after.line, 5);
  const sheb = ins('RUN <<-run.sh\n\t#!/bin/sh -e\n\techo $0\n\trun.sh\n');
  assert.deepEqual(sheb.kind === 'run' && sheb.script, { name: 'run.sh', data: '#!/bin/sh -e\necho $0\n', expand: false });
  const many = ins("RUN --network=none cat <<A > /a && cat <<'B' > /b\none\nA\n$two\nB\n");
  assert.deepEqual(many.kind === 'run' && [many.cmd, many.network], [{ json: false, text: "cat <<A > /a && cat <<'B' > /b\none\nA\n$two\nB" }, 'none']);
  // The exec form has no heredocs.
  const json = ins('RUN ["echo", "<<EOF"]\n');
  assert.deepEqual(json.kind === 'run' && json.cmd, { json: true, args: ['echo', '<<EOF'] });
});

test('an unterminated heredoc names its line', () => {
  assert.throws(() => parseDockerfile('FROM x\nRUN true\nRUN <<EOF\necho a\n'), (e: Error) => /^Dockerfile:3-5\n/.test(e.message) && /dockerfile parse error on line 3: unterminated heredoc/.test(e.message) && e.message.includes('>>> RUN <<EOF'));
});

test('COPY heredocs: files named by the delimiter, quoted ones not expanded, <<- strips tabs', () => {
  const c = ins('COPY --chmod=755 <<a <<"b" <<-c f.txt /dir/\n$X\na\n$Y\nb\n\tz\n\tc\n');
  assert.ok(c.kind === 'copy');
  assert.deepEqual(c.inline, [
    { name: 'a', data: '$X\n', expand: true },
    { name: 'b', data: '$Y\n', expand: false },
    { name: 'c', data: 'z\n', expand: true },
  ]);
  assert.deepEqual([c.sources, c.dest, c.chmod], [['f.txt'], '/dir/', '755']);
  assert.throws(() => parseStages('FROM x\nCOPY a <<EOF\nx\nEOF\n'), /cannot take a here-document as its destination/);
});

test('heredoc expansion as BuildKit\'s ExpandRaw: quotes are text, escapes escape, special parameters are empty', () => {
  const env: Record<string, string> = { A: '1', B: 'two words' };
  const look = (n: string): string | undefined => env[n];
  assert.equal(expandHeredoc('a=$A "${B}" \'$A\' \\$A ${C:-d} don\'t $1 $12x $@ $$ 5$\n', look), 'a=1 "two words" \'1\' $A d don\'t  x   5$\n');
});

test('flags: repeatable --exclude, booleans, values checked, --mount and --security checked', () => {
  const c = ins('COPY --link --parents --exclude=*.tmp --exclude=secret/ a b /d/\n');
  assert.ok(c.kind === 'copy');
  assert.deepEqual([c.link, c.parents, c.exclude], [true, true, ['*.tmp', 'secret/']]);
  const a = ins(`ADD --checksum=sha256:${'0'.repeat(64)} --link=false http://x/y /y\n`);
  assert.ok(a.kind === 'add');
  assert.deepEqual([a.checksum, a.link], [`sha256:${'0'.repeat(64)}`, undefined]);
  assert.throws(() => ins('COPY --link=maybe a b\n'), /line 2: expecting boolean value for flag link, not: maybe/);
  assert.throws(() => ins('COPY --from a b\n'), /line 2: missing a value on flag: from/);
  assert.throws(() => ins('COPY --chown=1 --chown=2 a b\n'), /duplicate flag specified: chown/);
  assert.throws(() => ins('ADD --parents a b\n'), /line 2: unknown flag: parents/);
  assert.throws(() => ins('ADD --checksum=md5:abc http://x/y /y\n'), /invalid checksum digest format/);
  assert.throws(() => ins('ADD --keep-git-dir https://example.com/r.git /r\n'), /--keep-git-dir is not supported by berth/);
  assert.throws(() => ins('RUN --network=bridge true\n'), /unsupported network mode "bridge"/);
  const r = ins('RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t --security=insecure true\n');
  assert.ok(r.kind === 'run');
  assert.deepEqual([r.mounts, r.security], [['type=cache,target=/c', 'type=tmpfs,target=/t'], 'insecure']);
  assert.throws(() => ins('RUN --mount=type=volume,target=/c true\n'), /line 2: unsupported mount type "volume"/);
  assert.throws(() => ins('RUN --mount=type=cache,target=/c,colour=red true\n'), /line 2: unknown mount option "colour"/);
  assert.throws(() => ins('RUN --security=privileged true\n'), /unsupported security mode "privileged"/);
  assert.throws(() => ins('RUN --bogus true\n'), (e: Error) => e.message.startsWith('Dockerfile:2\n') && /unknown flag: bogus/.test(e.message));
});

test('ONBUILD RUN <<EOF keeps its here-document in the trigger', () => {
  const o = ins('ONBUILD RUN <<EOF\necho from trigger\nEOF\nRUN after\n');
  assert.ok(o.kind === 'onbuild');
  assert.equal(o.expression, 'RUN <<EOF\necho from trigger\nEOF');
  assert.equal(ins('ONBUILD RUN <<EOF\necho from trigger\nEOF\nRUN after\n', 1).line, 5);
});

test('a directive with no value is a comment, as in BuildKit', () => {
  assert.deepEqual(parseStages('# syntax=\nFROM x\n').directives, {});
});

test('a step error gains the line and the instruction, keeping its class', () => {
  const e = withLine({ line: 4, original: 'COPY a /b' }, new NotFound('COPY failed: stat a: file does not exist'));
  assert.ok(e instanceof NotFound);
  assert.equal(e.message, 'Dockerfile:4\n--------------------\n   4 | >>> COPY a /b\n--------------------\nCOPY failed: stat a: file does not exist');
  assert.equal(withLine({ line: 4, original: 'COPY a /b' }, e).message, e.message, 'only once');
});

test('blanks may separate << from its delimiter', () => {
  const r = ins('RUN << EOF\necho spaced\nEOF\n');
  assert.deepEqual(r.kind === 'run' && r.cmd, { json: false, text: 'echo spaced\n' });
  const c = ins('COPY <<- "x" /x\n\thello\n\tx\n');
  assert.deepEqual(c.kind === 'copy' && c.inline, [{ name: 'x', data: 'hello\n', expand: false }]);
});

test('a syntax line after a #! line still names the frontend: another one is refused', () => {
  assert.throws(() => parseStages('#!/usr/bin/env buildctl\n# syntax=example.com/other\nFROM x\n'), /unsupported syntax directive/);
  assert.equal(parseStages('#!/usr/bin/env buildctl\n# syntax=docker/dockerfile:1\nFROM x\n').stages.length, 1);
});
