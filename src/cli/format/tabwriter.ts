/**
 * Go's text/tabwriter as docker configures it (minwidth 10, tabwidth 1, padding 3, ' '):
 * tab-terminated cells are aligned per column; the last cell of a line is not padded.
 */
export function tabwrite(text: string, minWidth = 10, padding = 3): string {
  const lines = text.split('\n');
  const trailingNewline = lines[lines.length - 1] === '';
  if (trailingNewline) lines.pop();
  const rows = lines.map((l) => l.split('\t'));
  const width = (s: string): number => [...s].length;
  const out: string[] = [];
  // Columns align within blocks of consecutive lines that have that column, as Go's does.
  const colWidth = (row: number, col: number): number => {
    let start = row;
    while (start > 0 && (rows[start - 1]?.length ?? 0) - 1 > col) start--;
    let end = row;
    while (end < rows.length - 1 && (rows[end + 1]?.length ?? 0) - 1 > col) end++;
    let w = 0;
    for (let r = start; r <= end; r++) w = Math.max(w, width(rows[r]?.[col] ?? ''));
    return Math.max(w + padding, minWidth);
  };
  rows.forEach((cells, r) => {
    let line = '';
    cells.forEach((cell, c) => {
      if (c === cells.length - 1) line += cell;
      else line += cell + ' '.repeat(colWidth(r, c) - width(cell));
    });
    out.push(line);
  });
  return out.join('\n') + (trailingNewline ? '\n' : '');
}
