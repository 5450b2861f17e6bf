import { execFile } from 'node:child_process';

/** One of the programs a container runs under (runc, crun, conmon), as `docker version` lists it. */
export interface ToolVersion {
  name: string;
  version: string;
  gitCommit: string;
}

/**
 * Reads the first `NAME version X` line and a `commit: Y` line of a tool's `--version` output, the
 * form runc, crun and conmon all print. Undefined when the output has no version line.
 */
export function parseToolVersion(name: string, text: string): ToolVersion | undefined {
  const version = /^\s*\S+\s+version\s+(\S+)/im.exec(text)?.[1];
  if (version === undefined) return undefined;
  const commit = /^\s*commit:\s*(\S+)/im.exec(text)?.[1];
  return { name, version, gitCommit: commit === undefined || commit === 'unknown' ? '' : commit };
}

/** Runs `path --version` (2 s at most); undefined when the tool is missing or says nothing usable. */
export function probeToolVersion(name: string, path: string): Promise<ToolVersion | undefined> {
  return new Promise((resolve) => {
    execFile(path, ['--version'], { encoding: 'utf8', timeout: 2000 }, (err, stdout) => {
      resolve(err ? undefined : parseToolVersion(name, stdout));
    });
  });
}
