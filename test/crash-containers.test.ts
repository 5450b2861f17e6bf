import { crashTest } from './helpers/crash-run.js';

/*
 * The crash suite, container operations: run -d (berthd killed; and runc killed during create),
 * rm -f, volume create and rm, network create and connect, conmon killed under a running container.
 * Judged as in test/crash.test.ts: store check, whole or absent, the retry, the sentinel still runs.
 */
crashTest('containers');
