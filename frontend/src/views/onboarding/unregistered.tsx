// Addresses that send frames to the center without being registered (admins): who is
// knocking, since when, how much, from where; register one to a unit in place.
import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../../api/http.ts';
import { fetchUnregistered, registerDevice, type UnregisteredDevice } from './api.ts';
import { fmtTime, s, type OnbLocale } from './strings.ts';
import { OnbTable } from './table.tsx';
import { errorText } from '../../lib/errors.ts';
import type { PickedUnit } from '../../lib/unit-search-react.ts';
import { UnitPicker } from './pickers.tsx';

function Row({ d, locale, onDone }: { d: UnregisteredDevice; locale: OnbLocale; onDone: () => void }) {
  const [unit, setUnit] = useState<PickedUnit | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const register = () => unit && registerDevice(unit.id, d.address, null).then(onDone, (e: Error) => setMsg(errorText(locale, e)));
  return (
    <tr data-testid={`unregistered-${d.address}`}>
      <td>
        {d.address} <span className="onb-hint">0x{d.addressHex}</span>
      </td>
      <td>{fmtTime(d.firstSeenAt)}</td>
      <td>{fmtTime(d.lastSeenAt)}</td>
      <td>{d.frames}</td>
      <td>{d.lastPeer ?? '—'}</td>
      <td>
        <UnitPicker locale={locale} value={unit} onPick={setUnit} testId={`register-unit-${d.address}`} />
        <button type="button" disabled={!unit} onClick={() => void register()}>
          {s(locale, 'register')}
        </button>
        {msg && <span className="onb-message">{msg}</span>}
      </td>
    </tr>
  );
}

export function UnregisteredDevices({ locale }: { locale: OnbLocale }) {
  const [items, setItems] = useState<UnregisteredDevice[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    fetchUnregistered()
      .then((r) => {
        setItems(r.devices);
        setError(null);
      })
      .catch((e: Error) => setError(e instanceof ApiError && e.status === 403 ? s(locale, 'adminOnly') : errorText(locale, e)));
  }, [locale]);
  useEffect(() => {
    load();
    const t = setInterval(load, 15_000);
    return () => clearInterval(t);
  }, [load]);
  if (error) return <div className="onb-error">{error}</div>;
  if (!items) return <div className="onb-hint">{s(locale, 'loading')}</div>;
  return (
    <section>
      <p className="onb-hint">{s(locale, 'unregisteredHint')}</p>
      <OnbTable
        testId="onboarding-unregistered"
        headers={[s(locale, 'deviceAddress'), s(locale, 'firstSeen'), s(locale, 'lastSeen'), s(locale, 'frames'), s(locale, 'lastPeer'), '']}
        emptyText={s(locale, 'none')}
        empty={items.length === 0}
      >
          {items.map((d) => (
            <Row key={d.address} d={d} locale={locale} onDone={load} />
          ))}
      </OnbTable>
    </section>
  );
}
