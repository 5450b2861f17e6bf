import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYaml } from './yaml.js';

test('block mappings, sequences, flow collections, scalars and comments', () => {
  const doc = parseYaml(`# distribution-style config
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage:
  filesystem:
    rootdirectory: /var/lib/registry   # trailing comment
  delete: { enabled: true }
http:
  addr: 127.0.0.1:5000
  headers: [a, "b, c", 'it''s']
auth:
  access:
    - user: alice
      repos: "team/*"
      actions: [pull, push]
    - { user: "*", repos: "*", actions: [pull] }
  list:
  - one
  - "two # not a comment"
  -
    nested: ~
empty: {}
n: -12
f: 1.5e3
s: "tab\\tquote\\" \\u00e9"
url: https://registry-1.docker.io
`);
  assert.deepEqual(doc, {
    version: 0.1,
    log: { level: 'error', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: '/var/lib/registry' }, delete: { enabled: true } },
    http: { addr: '127.0.0.1:5000', headers: ['a', 'b, c', "it's"] },
    auth: {
      access: [
        { user: 'alice', repos: 'team/*', actions: ['pull', 'push'] },
        { user: '*', repos: '*', actions: ['pull'] },
      ],
      list: ['one', 'two # not a comment', { nested: null }],
    },
    empty: {},
    n: -12,
    f: 1500,
    s: 'tab\tquote" é',
    url: 'https://registry-1.docker.io',
  });
  assert.deepEqual(parseYaml('- a\n- - b\n  - c\n'), ['a', ['b', 'c']]);
  assert.equal(parseYaml('# only a comment\n'), null);
  assert.deepEqual(parseYaml('---\nkey:\n'), { key: null });
});

test('what the subset refuses, with the line number', () => {
  const cases: [string, RegExp][] = [
    ['a: 1\na: 2\n', /line 2: duplicate key "a"/],
    ['a:\n\tb: 1\n', /line 2: tabs are not allowed/],
    ['a: &x 1\nb: *x\n', /line 1: anchors and aliases/],
    ['user: *\n', /line 1: anchors and aliases .*quote "\*"/],
    ['a: |\n  text\n', /line 1: block scalars/],
    ['a: !!str 1\n', /line 1: tags are not supported/],
    ['a: 1\n---\nb: 2\n', /line 2: only one YAML document/],
    ['a: "open\n', /line 1: unterminated double-quoted string/],
    ['a: [1, 2\n', /line 1: expected "]"/],
    ['a: 1\n  b: 2\n', /line 2: unexpected indentation/],
    ['a:\n  b: 1\n c: 2\n', /line 3: unexpected indentation/],
    ['a: b: c\n', /line 1: .*quote it/],
    ['a: "x\\q"\n', /line 1: invalid escape \\q/],
    ['a: {b: 1, b: 2}\n', /line 1: duplicate key "b"/],
    ['a:\n- 1\nplain\n', /line 3: expected "key: value"/],
  ];
  for (const [text, re] of cases) assert.throws(() => parseYaml(text), re, JSON.stringify(text));
});
