// Onboarding funnel per region: how many units sit at each step, and the share open.
import { useEffect, useState } from 'react';
import { ONBOARDING_STATES, type FunnelRow } from '@firelink/common';
import { fetchFunnel } from './api.ts';
import { s, stateName, type OnbLocale } from './strings.ts';
import { errorText } from '../../lib/errors.ts';

/** Units at or past each step of the funnel (open counts as past every step). */
export function cumulative(row: FunnelRow): Record<'registered' | 'collecting' | 'verified' | 'reviewed' | 'open', number> {
  const c = row.counts;
  const open = (c.open ?? 0) + (c.suspended ?? 0);
  const reviewed = open + (c.reviewed ?? 0);
  const verified = reviewed + (c.verified ?? 0);
  const collecting = verified + (c.collecting ?? 0);
  return { registered: collecting + (c.registered ?? 0), collecting, verified, reviewed, open };
}

export function OnboardingFunnel({ locale }: { locale: OnbLocale }) {
  const [rows, setRows] = useState<FunnelRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    fetchFunnel(ac.signal)
      .then(setRows)
      .catch((e: Error) => !ac.signal.aborted && setError(errorText(locale, e)));
    return () => ac.abort();
  }, []);
  if (error) return <div className="onb-error">{error}</div>;
  if (!rows) return <div className="onb-hint">{s(locale, 'loading')}</div>;
  const steps = ['registered', 'collecting', 'verified', 'reviewed', 'open'] as const;
  return (
    <div className="onb-funnel" data-testid="onboarding-funnel">
      {rows.map((r) => {
        const cum = cumulative(r);
        const max = Math.max(1, cum.registered);
        return (
          <section key={String(r.regionAdcode)} className="onb-funnel-region">
            <h3>
              {r.regionName ?? (locale === 'en' ? 'No region' : '未定位')}{' '}
              <small>
                {s(locale, 'total')} {r.total} · {locale === 'en' ? 'open' : '开通率'} {Math.round((100 * cum.open) / max)}%
                {r.underConstruction > 0 && ` · ${locale === 'en' ? 'new builds' : '在建'} ${r.underConstruction}`}
              </small>
            </h3>
            {steps.map((st) => (
              <div key={st} className="onb-bar-row">
                <span className="onb-bar-label">{stateName(locale, st)}</span>
                <span className="onb-bar" style={{ width: `${(100 * cum[st]) / max}%` }} />
                <span className="onb-bar-n">{cum[st]}</span>
              </div>
            ))}
            <div className="onb-hint">
              {ONBOARDING_STATES.filter((x) => x === 'suspended' || x === 'closed')
                .map((x) => `${stateName(locale, x)} ${r.counts[x] ?? 0}`)
                .join(' · ')}
            </div>
          </section>
        );
      })}
    </div>
  );
}
