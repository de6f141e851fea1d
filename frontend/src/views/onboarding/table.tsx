// The onboarding views' list table: headers, an "empty" row when there is nothing, the rows.
import type { ReactNode } from 'react';

export function OnbTable({ testId, headers, emptyText, empty, children }: { testId: string; headers: ReactNode[]; emptyText: string; empty: boolean; children: ReactNode }) {
  return (
    <table className="onb-table" data-testid={testId}>
      <thead>
        <tr>
          {headers.map((h, i) => (
            <th key={i}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {empty && (
          <tr>
            <td colSpan={headers.length}>{emptyText}</td>
          </tr>
        )}
        {children}
      </tbody>
    </table>
  );
}
