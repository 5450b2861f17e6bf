import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessRules } from './access.js';

test('access rules: globs over repository names, rules add up, * for any user or every action, the catalog', () => {
  const rules = new AccessRules([
    { user: 'alice', repos: 'team/*', actions: ['pull', 'push'] },
    { user: 'alice', repos: 'team/app', actions: ['delete'] },
    { user: 'ops', repos: '*', actions: ['*'] },
    { user: '*', repos: 'public/*', actions: ['pull'] },
  ]);
  const repo = (name: string, ...actions: ('pull' | 'push' | 'delete')[]) => ({ type: 'repository' as const, name, actions });
  assert.deepEqual(rules.granted('alice', repo('team/app', 'pull', 'push', 'delete')), ['pull', 'push', 'delete']);
  assert.deepEqual(rules.granted('alice', repo('team/a/b', 'pull', 'push', 'delete')), ['pull', 'push'], '* crosses /');
  assert.deepEqual(rules.granted('alice', repo('teams/app', 'pull')), [], 'team/* is not a prefix match of "teams"');
  assert.deepEqual(rules.granted('alice', repo('public/x', 'pull', 'push')), ['pull'], 'the rule for * applies to alice too');
  assert.deepEqual(rules.granted('bob', repo('public/x', 'pull')), ['pull']);
  assert.deepEqual(rules.granted('bob', repo('team/app', 'pull')), []);
  assert.deepEqual(rules.granted('ops', repo('any/thing', 'pull', 'push', 'delete')), ['pull', 'push', 'delete']);
  const catalog = { type: 'registry' as const, name: 'catalog', actions: ['*' as const] };
  assert.ok(rules.allows('ops', [catalog]), 'pull on every repository includes the catalog');
  assert.ok(!rules.allows('alice', [catalog]));
  assert.ok(!rules.allows('alice', [repo('team/app', 'pull'), repo('other/x', 'pull')]), 'every item must be allowed');
  assert.ok(new AccessRules([]).allows('anyone', [catalog, repo('x', 'delete')]), 'no rules: everything');
  assert.deepEqual(new AccessRules([{ user: 'x', repos: 'a.b/*', actions: ['pull'] }]).granted('x', repo('aXb/c', 'pull')), [], 'a dot is literal');
});
