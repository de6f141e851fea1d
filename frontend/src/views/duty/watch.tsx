// Watch and devices: "center unattended" alarms (no operator desk or wall connected), device
// clocks off by more than 5 s at the last sync (GB 50440: unified clock, error ≤ 5 s), and
// disabled (屏蔽) points per unit of the post as a risk indicator.
import { useI18n } from '../../lib/i18n-react.tsx';
import { formatTime } from '../../lib/i18n.ts';
import { errorText, fetchClockDrift, fetchDisabledPoints, fetchUnattended } from './api.ts';
import { Panel, useLoad } from './shared.tsx';
import { s } from './strings.ts';

export function Watch({ post, reloadKey }: { post: number; reloadKey: number }) {
  const { locale } = useI18n();
  const unattended = useLoad((sig) => fetchUnattended(sig), [reloadKey]);
  const drift = useLoad((sig) => fetchClockDrift(sig), [reloadKey]);
  const disabled = useLoad((sig) => fetchDisabledPoints(post, sig), [post, reloadKey]);
  const at = (iso: string | null) => formatTime(iso, locale, 'minute');
  const num = (n: number) => n.toLocaleString(locale === 'en' ? 'en' : 'zh-CN', { maximumFractionDigits: 1 });
  return (
    <Panel title={s(locale, 'watch')} testId="duty-watch">
      <h3>{s(locale, 'unattended')}</h3>
      {unattended.error != null && <div className="duty-error">{errorText(locale, unattended.error)}</div>}
      <ul className="duty-list" data-testid="unattended-list">
        {unattended.data?.items.length === 0 && <li className="duty-muted">{s(locale, 'unattendedNone')}</li>}
        {unattended.data?.items.map((u) => (
          <li key={u.id} className={u.clearedAt ? '' : 'duty-error'} data-open={u.clearedAt ? 'false' : 'true'}>
            {u.clearedAt
              ? s(locale, 'unattendedClosed', { post: u.regionName, screen: s(locale, `screen.${u.screen}`), since: at(u.absentSince), cleared: at(u.clearedAt) })
              : s(locale, 'unattendedOpen', { post: u.regionName, screen: s(locale, `screen.${u.screen}`), since: at(u.absentSince), n: u.notified })}
          </li>
        ))}
      </ul>
      <h3>{s(locale, 'clockDrift')}</h3>
      {drift.error != null && <div className="duty-error">{errorText(locale, drift.error)}</div>}
      <ul className="duty-list" data-testid="clock-drift-list">
        {drift.data?.devices.length === 0 && <li className="duty-muted">{s(locale, 'clockDriftNone')}</li>}
        {drift.data?.devices.map((d) => (
          <li key={d.deviceId}>{s(locale, 'clockDriftRow', { unit: d.unitName, address: d.address, drift: (d.driftS > 0 ? '+' : '') + num(d.driftS), at: at(d.checkedAt) })}</li>
        ))}
      </ul>
      <h3>{s(locale, 'disabled', { days: disabled.data?.days ?? 30 })}</h3>
      {disabled.error != null && <div className="duty-error">{errorText(locale, disabled.error)}</div>}
      <ul className="duty-list" data-testid="disabled-list">
        {disabled.data?.units.length === 0 && <li className="duty-muted">{s(locale, 'disabledNone')}</li>}
        {disabled.data?.units.map((u) => (
          <li key={u.unitId}>
            {u.disabledNow > 0
              ? s(locale, 'disabledRow', { unit: u.unitName, now: u.disabledNow, since: at(u.oldestSince), hours: num(u.hoursInWindow) })
              : s(locale, 'disabledRowEnded', { unit: u.unitName, hours: num(u.hoursInWindow), spells: u.spellsInWindow })}
          </li>
        ))}
      </ul>
    </Panel>
  );
}
