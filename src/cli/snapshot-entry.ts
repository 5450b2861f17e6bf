import { startupSnapshot } from 'node:v8';
import { main } from './main.js';

/**
 * The entry of berth's V8 startup snapshot (scripts/setup builds it): the CLI's code is compiled
 * and loaded into the snapshot, so a command starts without reading or compiling any module.
 * bin/berth runs `node --snapshot-blob dist/berth-cli.blob -- ARGS`, which makes argv [node, ...ARGS].
 */
startupSnapshot.setDeserializeMainFunction(() => {
  void main(process.argv.slice(1));
});
