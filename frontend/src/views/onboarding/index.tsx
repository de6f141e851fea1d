// The onboarding area, mounted by the app at /onboarding (path = what follows it):
//   ''            queue + funnel        'units/:id'  unit form        'new'  new unit form
//   'outbox'      SMS notifications      'unregistered'  addresses not registered to any unit
import { useI18n } from '../../lib/i18n-react.tsx';
import { navigate } from '../../lib/router-react.tsx';
import { OnboardingFunnel } from './funnel.tsx';
import { NotificationOutbox } from './outbox.tsx';
import { OnboardingQueue } from './queue.tsx';
import { s } from './strings.ts';
import { UnitForm } from './unit-form.tsx';
import { UnregisteredDevices } from './unregistered.tsx';
import './onboarding.css';

export { OnboardingFunnel, NotificationOutbox, OnboardingQueue, UnitForm };

export default function OnboardingView({ path }: { path: string }) {
  const { locale } = useI18n();
  const unitMatch = /^units\/(\d+)\/?$/.exec(path);
  const tab = unitMatch ? 'unit' : path.replace(/\/$/, '') || 'queue';
  return (
    <div className="onb-page" data-testid="onboarding">
      <nav className="onb-tabs">
        <a href="/onboarding" className={tab === 'queue' ? 'active' : ''} onClick={(e) => (e.preventDefault(), navigate('/onboarding'))}>
          {s(locale, 'queue')}
        </a>
        <a href="/onboarding/new" className={tab === 'new' ? 'active' : ''} onClick={(e) => (e.preventDefault(), navigate('/onboarding/new'))}>
          {s(locale, 'newUnit')}
        </a>
        <a href="/onboarding/outbox" className={tab === 'outbox' ? 'active' : ''} onClick={(e) => (e.preventDefault(), navigate('/onboarding/outbox'))}>
          {s(locale, 'outbox')}
        </a>
        <a href="/onboarding/unregistered" className={tab === 'unregistered' ? 'active' : ''} onClick={(e) => (e.preventDefault(), navigate('/onboarding/unregistered'))}>
          {s(locale, 'unregistered')}
        </a>
      </nav>
      {tab === 'queue' && (
        <div className="onb-two">
          <section>
            <h2>{s(locale, 'queue')}</h2>
            <OnboardingQueue locale={locale} onOpen={(id) => navigate(`/onboarding/units/${id}`)} />
          </section>
          <section>
            <h2>{s(locale, 'funnel')}</h2>
            <OnboardingFunnel locale={locale} />
          </section>
        </div>
      )}
      {tab === 'unit' && unitMatch && <UnitForm key={unitMatch[1]} unitId={Number(unitMatch[1])} locale={locale} />}
      {tab === 'new' && <UnitForm unitId={null} locale={locale} onCreated={(id) => navigate(`/onboarding/units/${id}`)} />}
      {tab === 'outbox' && <NotificationOutbox locale={locale} />}
      {tab === 'unregistered' && <UnregisteredDevices locale={locale} />}
    </div>
  );
}
