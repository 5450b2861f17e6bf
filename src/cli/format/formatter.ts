import { Template, type TemplateFunc } from '../template/index.js';
import { tabwrite } from './tabwriter.js';

/**
 * Renders rows with a docker `--format` string. A `table` prefix adds a header row made by running
 * the same template over the column titles, and aligns the columns with docker's tabwriter.
 */
export function renderFormat(format: string, rows: readonly unknown[], headers: Record<string, string>, funcs: Record<string, TemplateFunc> = {}): string {
  const isTable = format.startsWith('table');
  let src = isTable ? format.slice(5).trimStart() : format;
  if (isTable && src === '') src = '';
  // docker turns the escaped sequences users type in shells into real tabs and newlines.
  src = src.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const tmpl = new Template(src, funcs);
  let out = '';
  if (isTable) out += `${tmpl.execute(headers)}\n`;
  for (const row of rows) out += `${tmpl.execute(row)}\n`;
  return isTable ? tabwrite(out) : out;
}

/** Ellipsis from docker's formatter: at most `max` runes, the last one '…' when cut. */
export function ellipsis(s: string, max: number): string {
  const runes = [...s];
  if (runes.length <= max) return s;
  if (max <= 1) return runes.slice(0, max).join('');
  return `${runes.slice(0, max - 1).join('')}…`;
}

/** stringid.TruncateID: drops the algorithm prefix and keeps 12 hex digits. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  const hex = i >= 0 ? id.slice(i + 1) : id;
  return hex.slice(0, 12);
}
