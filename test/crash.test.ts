import { crashTest } from './helpers/crash-run.js';

/*
 * The crash suite, image operations (pull and its resumed retry, push, load, import, commit, build
 * without and with cache, image rm, image prune): each is cut by a SIGKILL of berthd at a seeded
 * random moment; after the restart the store check finds nothing, what the operation made is whole
 * or absent, the retry succeeds and a container that ran all along still runs.
 * test/crash-containers.test.ts does the same for containers, volumes and networks.
 */
crashTest('images');
