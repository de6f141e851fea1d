// The list table of the supervise sections: a line of words while the list loads or is empty,
// the table once it has rows. Each section gives its headings and how one row is drawn.
import type { ReactNode } from 'react';

export interface Heading {
  label?: ReactNode;
  /** A figure column: right-aligned, tabular digits. */
  num?: boolean;
}

export function ListTable<T>({
  rows,
  headings,
  empty,
  loading,
  testId,
  selectable = true,
  row,
}: {
  /** null while loading. */
  rows: readonly T[] | null;
  headings: readonly Heading[];
  /** What an empty list says. */
  empty: ReactNode;
  /** What the list says while loading (nothing when left out). */
  loading?: ReactNode;
  testId?: string;
  /** Rows are picked by a click (pointer cursor, hover); false for lists without row selection. */
  selectable?: boolean;
  /** One `<tr>` (with its key) for a row. */
  row: (r: T) => ReactNode;
}) {
  if (rows === null) return loading ? <div className="sv-empty">{loading}</div> : null;
  if (rows.length === 0)
    return (
      <div className="sv-empty" data-testid={testId ? `${testId}-empty` : undefined}>
        {empty}
      </div>
    );
  return (
    <table className={selectable ? 'sv-table' : 'sv-table sv-static'} data-testid={testId}>
      <thead>
        <tr>
          {headings.map((h, i) => (
            <th key={i} className={h.num ? 'num' : undefined}>
              {h.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{rows.map(row)}</tbody>
    </table>
  );
}
