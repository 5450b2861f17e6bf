import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Template } from './index.js';

const run = (src: string, data: unknown): string => new Template(src).execute(data);

const data = {
  ID: 'abc',
  State: { Status: 'running', Pid: 42, Running: true },
  Config: { Env: ['A=1', 'B=2'], Labels: { 'com.x': 'y', b: 'z' }, Cmd: null },
  Names: 'web',
  Num: 3,
};

test('fields, nested fields and missing keys', () => {
  assert.equal(run('{{.ID}} {{.State.Status}} {{.State.Pid}}', data), 'abc running 42');
  assert.equal(run('{{.Nope}}', data), '<no value>');
  assert.equal(run('{{.Config.Env}}', data), '[A=1 B=2]');
  assert.equal(run('{{.Config.Labels}}', data), 'map[b:z com.x:y]');
  assert.equal(run('{{.}}', 'x'), 'x');
});

test('docker functions', () => {
  assert.equal(run('{{json .State}}', data), '{"Status":"running","Pid":42,"Running":true}');
  assert.equal(run('{{join .Config.Env ","}}', data), 'A=1,B=2');
  assert.equal(run('{{split "a:b:c" ":"}}', data), '[a b c]');
  assert.equal(run('{{upper .Names}}|{{lower "AB"}}|{{title "hello world"}}', data), 'WEB|ab|Hello World');
  assert.equal(run('{{pad .Names 2 3}}|', data), '  web   |');
  assert.equal(run('{{pad "" 2 3}}|', data), '|');
  assert.equal(run('{{truncate .ID 2}}', data), 'ab');
  assert.equal(run('{{truncate .ID 10}}', data), 'abc');
  assert.equal(run('{{index .Config.Labels "com.x"}} {{index .Config.Env 1}}', data), 'y B=2');
  assert.equal(run('{{len .Config.Env}}', data), '2');
});

test('printf and pipes', () => {
  assert.equal(run('{{printf "%s-%d|%5s|%-4s|%03d" .ID .Num "ab" "c" 7}}', data), 'abc-3|   ab|c   |007');
  assert.equal(run('{{.Names | upper | printf "[%s]"}}', data), '[WEB]');
  assert.equal(run('{{printf "%q" .ID}}', data), '"abc"');
  assert.equal(run('{{(index .Config.Env 0) | lower}}', data), 'a=1');
});

test('if/else, comparisons, range, variables and trim markers', () => {
  assert.equal(run('{{if .State.Running}}up{{else}}down{{end}}', data), 'up');
  assert.equal(run('{{if eq .State.Status "exited"}}x{{else if eq .State.Status "running"}}r{{else}}o{{end}}', data), 'r');
  assert.equal(run('{{if not .Config.Cmd}}none{{end}}', data), 'none');
  assert.equal(run('{{range .Config.Env}}[{{.}}]{{end}}', data), '[A=1][B=2]');
  assert.equal(run('{{range $i, $e := .Config.Env}}{{$i}}={{$e}};{{end}}', data), '0=A=1;1=B=2;');
  assert.equal(run('{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}} {{end}}', data), 'b:z com.x:y ');
  assert.equal(run('{{range .Missing}}x{{else}}empty{{end}}', data), 'empty');
  assert.equal(run('{{$x := .ID}}{{$x}}{{$x = "q"}}{{$x}}', data), 'abcq');
  assert.equal(run('a  {{- .ID -}}  b', data), 'aabcb');
  assert.equal(run('{{range .Config.Env}}{{$.ID}}{{end}}', data), 'abcabc');
  assert.equal(run('{{with .State}}{{.Status}}{{end}}', data), 'running');
  assert.equal(run('{{/* comment */}}ok', data), 'ok');
  assert.equal(run('{{if and .State.Running (gt .Num 2)}}yes{{end}}', data), 'yes');
});

test('methods on data are called with arguments', () => {
  const row = { Label: (k: unknown) => (k === 'a' ? 'b' : '') };
  assert.equal(run('{{.Label "a"}}', row), 'b');
});

test('errors', () => {
  assert.throws(() => new Template('{{nosuch .X}}'), /function "nosuch" not defined/);
  assert.throws(() => new Template('{{if .X}}'), /unexpected EOF/);
  assert.throws(() => new Template('{{.X'), /unclosed action/);
  assert.throws(() => new Template('{{end}}'), /unexpected/);
});
