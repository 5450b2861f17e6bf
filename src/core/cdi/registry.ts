import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgument } from '../../errdefs/index.js';
import { emptyEdits, mergeEdits, parseCdiSpec, parseQualifiedName } from './spec.js';
import type { CdiSpec, ContainerEdits } from './spec.js';

/** Where CDI specs are looked for when daemon.json names no `cdi-spec-dirs`; a later one wins. */
export const DEFAULT_CDI_SPEC_DIRS: readonly string[] = ['/etc/cdi', '/var/run/cdi'];

/** YAML (the format nvidia-ctk writes) through js-yaml's core schema, loaded when a YAML spec is met. */
async function parseYaml(text: string, file: string): Promise<unknown> {
  const { load, CORE_SCHEMA } = await import('js-yaml');
  try {
    return load(text, { schema: CORE_SCHEMA, filename: file });
  } catch (e) {
    throw new InvalidArgument(`invalid YAML: ${(e as Error).message.split('\n')[0] ?? ''}`, { cause: e });
  }
}

/** A spec file that could not be read, and why (shown when a device it may define is asked for). */
export interface CdiSpecError {
  file: string;
  message: string;
}

/**
 * The CDI devices of a set of spec directories, read when asked (a spec written after berthd started
 * counts at the next create). Devices of a later directory replace those of an earlier one with the
 * same name, as in the CDI registry; a name defined by two files of one directory is a conflict.
 */
export class CdiRegistry {
  readonly #dirs: readonly string[];

  constructor(dirs: readonly string[] = DEFAULT_CDI_SPEC_DIRS) {
    this.#dirs = dirs;
  }

  get dirs(): readonly string[] {
    return this.#dirs;
  }

  async #load(): Promise<{ devices: Map<string, { spec: CdiSpec; edits: ContainerEdits; file: string; conflict?: string }>; errors: CdiSpecError[] }> {
    const devices = new Map<string, { spec: CdiSpec; edits: ContainerEdits; file: string; conflict?: string }>();
    const errors: CdiSpecError[] = [];
    for (const dir of this.#dirs) {
      const names = await readdir(dir).catch(() => [] as string[]);
      const inDir = new Map<string, string>();
      for (const n of names.sort()) {
        const file = join(dir, n);
        const yaml = /\.ya?ml$/.test(n);
        if (!yaml && !n.endsWith('.json')) continue;
        let spec: CdiSpec;
        try {
          const text = await readFile(file, 'utf8');
          spec = parseCdiSpec(yaml ? await parseYaml(text, file) : JSON.parse(text));
        } catch (e) {
          errors.push({ file, message: (e as Error).message });
          continue;
        }
        for (const d of spec.devices) {
          const q = `${spec.kind}=${d.name}`;
          const other = inDir.get(q);
          if (other) {
            devices.set(q, { spec, edits: d.edits, file, conflict: `defined in both ${other} and ${file}` });
            continue;
          }
          inDir.set(q, file);
          devices.set(q, { spec, edits: d.edits, file });
        }
      }
    }
    return { devices, errors };
  }

  /** Every device name the specs define, sorted (conflicting ones left out). */
  async list(): Promise<string[]> {
    const { devices } = await this.#load();
    return [...devices.entries()].filter(([, d]) => !d.conflict).map(([q]) => q).sort();
  }

  /**
   * The edits of the named devices, each spec's own edits once before its first device's. Throws
   * InvalidArgument for a name that is not `vendor/class=name`, InvalidArgument naming every device no spec defines.
   */
  async resolve(names: readonly string[]): Promise<ContainerEdits> {
    for (const n of names) if (!parseQualifiedName(n)) throw new InvalidArgument(`invalid CDI device name ${JSON.stringify(n)}: expected vendor/class=name`);
    if (names.length === 0) return emptyEdits();
    const { devices, errors } = await this.#load();
    const missing: string[] = [];
    const conflicts: string[] = [];
    for (const n of names) {
      const d = devices.get(n);
      if (!d) missing.push(n);
      else if (d.conflict) conflicts.push(`${n} (${d.conflict})`);
    }
    if (conflicts.length) throw new InvalidArgument(`CDI device injection failed: conflicting CDI devices ${conflicts.join(', ')}`);
    if (missing.length) {
      const why = errors.length ? `; specs that could not be read: ${errors.map((e) => `${e.file}: ${e.message}`).join('; ')}` : '';
      throw new InvalidArgument(`CDI device injection failed: unresolvable CDI devices ${missing.join(', ')}${why}`);
    }
    let out = emptyEdits();
    const specsDone = new Set<CdiSpec>();
    for (const n of [...new Set(names)]) {
      const d = devices.get(n);
      if (!d) continue;
      if (!specsDone.has(d.spec)) {
        specsDone.add(d.spec);
        out = mergeEdits(out, d.spec.edits);
      }
      out = mergeEdits(out, d.edits);
    }
    return out;
  }
}
