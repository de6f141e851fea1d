// Pickers of the onboarding forms: a unit by name or address (instead of typing its id) and a
// date typed and shown as yyyy-mm-dd whatever the browser's locale (a native date input
// shows mm/dd/yyyy in an English browser).
import { useState } from 'react';
import { useUnitSearch, type PickedUnit } from '../../lib/unit-search-react.ts';
import type { OnbLocale } from './strings.ts';

/** Search the caller's units (GET /api/units?q=) and pick one. */
export function UnitPicker({ locale, value, onPick, testId = 'unit-picker' }: { locale: OnbLocale; value: PickedUnit | null; onPick: (u: PickedUnit | null) => void; testId?: string }) {
  const [q, setQ] = useState('');
  const hits = useUnitSearch(q) ?? [];
  if (value)
    return (
      <span className="onb-picked" data-testid={`${testId}-picked`}>
        {value.name}
        {value.regionName ? <small> · {value.regionName}</small> : null}
        <button type="button" onClick={() => onPick(null)} aria-label={locale === 'en' ? 'Choose another unit' : '重新选择单位'}>
          {locale === 'en' ? 'Change' : '更换'}
        </button>
      </span>
    );
  return (
    <span className="onb-unit-picker">
      <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={locale === 'en' ? 'Find unit by name or address' : '输入单位名称或地址查找'} data-testid={`${testId}-search`} />
      {hits.length > 0 && (
        <ul className="onb-picker-hits" role="listbox">
          {hits.map((u) => (
            <li key={u.id}>
              <button type="button" role="option" aria-selected={false} onClick={() => (onPick(u), setQ(''))} data-testid={`${testId}-hit`}>
                <b>{u.name}</b>
                <small>{[u.regionName, u.address].filter(Boolean).join(' · ')}</small>
              </button>
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
export const isIsoDate = (v: string) => DATE.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));

/** A date as yyyy-mm-dd text; marks itself invalid (and says so) until the text is a real date. */
export function DateField({ locale, value, onChange, testId }: { locale: OnbLocale; value: string; onChange: (v: string) => void; testId?: string }) {
  const bad = value.trim() !== '' && !isIsoDate(value.trim());
  return (
    <>
      <input
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder="yyyy-mm-dd"
        inputMode="numeric"
        maxLength={10}
        aria-invalid={bad}
        className={bad ? 'invalid' : ''}
        data-testid={testId}
      />
      {bad && <span className="onb-error">{locale === 'en' ? 'Write the date as yyyy-mm-dd, e.g. 2026-03-31' : '请按 年-月-日 填写，例如 2026-03-31'}</span>}
    </>
  );
}

/** A file chooser as a styled button with the chosen file's name (no native "Choose File"). */
export function FileButton({ label, accept, onFile, testId }: { label: string; accept: string; onFile: (f: File) => void; testId?: string }) {
  const [name, setName] = useState<string | null>(null);
  return (
    <label className="onb-file">
      <input
        type="file"
        accept={accept}
        data-testid={testId}
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) {
            setName(f.name);
            onFile(f);
          }
          e.target.value = '';
        }}
      />
      <span className="onb-file-button">{label}</span>
      {name && <span className="onb-file-name">{name}</span>}
    </label>
  );
}
