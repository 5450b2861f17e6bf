import { startupSnapshot } from 'node:v8';
import { main, prepareCli } from './main.js';

/**
 * The entry of berth's V8 startup snapshot (scripts/setup builds it): the CLI's code is compiled
 * and loaded into the snapshot, so a command starts without reading or compiling any module.
 * The command tree (commander's objects for every command and flag) is built here too, before the
 * snapshot is taken. bin/berth runs `node --snapshot-blob dist/berth-cli.blob -- ARGS`, which makes
 * argv [node, ...ARGS].
 */
const prepared = prepareCli();
startupSnapshot.setDeserializeMainFunction(() => {
  void main(process.argv.slice(1), prepared);
});
