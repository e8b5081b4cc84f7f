import { h, replace, type Child } from './dom.ts';

export interface DataTable {
  element: HTMLDivElement;
  /** Replaces the rows; each cell gets its column's name as data-label (shown beside it when the table stacks). */
  setRows(rows: HTMLTableRowElement[]): void;
  /** A single row spanning all columns, e.g. "nothing yet". */
  setEmpty(text: string): void;
}

/** A table that becomes label–value cards on a phone instead of scrolling sideways. */
export function dataTable(caption: Child, columns: readonly string[], attrs: Record<string, string> = {}): DataTable {
  const body = h('tbody', {});
  const table = h(
    'table',
    { class: 'stack-table', attrs },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map((name) => h('th', { scope: 'col' }, name)))),
    body,
  );
  return {
    element: h('div', { class: 'table-wrap' }, table),
    setRows(rows) {
      for (const row of rows) {
        Array.from(row.cells).forEach((cell, i) => {
          if (columns[i]) cell.dataset.label = columns[i];
        });
      }
      replace(body, rows);
    },
    setEmpty(text) {
      replace(body, h('tr', {}, h('td', { colSpan: columns.length }, text)));
    },
  };
}
