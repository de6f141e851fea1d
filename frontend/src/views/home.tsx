import { useI18n } from '../lib/i18n-react.tsx';
import { Link } from '../lib/router-react.tsx';

export function HomeView() {
  const { t } = useI18n();
  return (
    <div className="center-card">
      <h1>{t('app.title')}</h1>
      <p>{t('home.intro')}</p>
      <div className="tiles">
        <Link href="/wall"><b>{t('nav.wall')}</b>{t('home.wall')}</Link>
        <Link href="/desk"><b>{t('nav.desk')}</b>{t('home.desk')}</Link>
        <Link href="/analyst"><b>{t('nav.analyst')}</b>{t('home.analyst')}</Link>
        <Link href="/onboarding"><b>{t('nav.onboarding')}</b>{t('home.onboarding')}</Link>
      </div>
    </div>
  );
}
