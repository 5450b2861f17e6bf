import { stepError, type Instruction } from '../../core/dockerfile/index.js';
import { BerthError } from '../../errdefs/index.js';
import { download, GIT_RE, URL_RE } from './add-url.js';
import { writeInline } from './heredoc.js';
import type { StageState } from './state.js';

/**
 * The sources of a COPY/ADD that are not files of the context or a stage: here-documents and (ADD)
 * downloaded URLs, written into the step's directory. Git sources and misplaced --checksum are
 * refused naming the line; a URL that does not answer fails the step naming the line.
 */
export async function addSources(
  ins: Extract<Instruction, { kind: 'copy' | 'add' }>,
  st: StageState,
  sources: string[],
  stepDir: () => Promise<string>,
  o: { buildArgs: Record<string, string | null>; signal: AbortSignal },
): Promise<{ local: string[]; staged: string[] }> {
  const staged = ins.inline ? await writeInline(await stepDir(), ins.inline, st.lookup) : [];
  const checksum = ins.checksum !== undefined ? st.expand(ins.checksum) : undefined;
  if (checksum !== undefined && !/^sha256:[0-9a-f]{64}$/.test(checksum)) throw stepError(ins, `invalid checksum digest format "${checksum}": use sha256: and 64 hex digits`);
  const local: string[] = [];
  const urls: string[] = [];
  for (const s of sources) {
    if (ins.kind === 'add' && GIT_RE.test(s)) throw stepError(ins, `ADD of a git repository (${s}) is not supported by berth: berth does not build from git sources; clone it into the build context and COPY it`);
    if (ins.kind === 'add' && URL_RE.test(s)) urls.push(s);
    else local.push(s);
  }
  if (checksum !== undefined && urls.length === 0) throw stepError(ins, 'checksum requires HTTP(S) sources (berth does not build git sources)');
  if (checksum !== undefined && sources.length + staged.length > 1) throw stepError(ins, "checksum can't be specified for multiple sources");
  for (const u of urls) {
    try {
      const got = await download(u, await stepDir(), { ...o, ...(checksum ? { checksum } : {}) });
      if (staged.includes(got.name)) throw stepError(ins, `two sources of this ${ins.kind.toUpperCase()} are both named ${got.name}`);
      staged.push(got.name);
    } catch (e) {
      o.signal.throwIfAborted();
      if (e instanceof BerthError && !('startLine' in e)) throw stepError(ins, e.message);
      throw e;
    }
  }
  return { local, staged };
}
