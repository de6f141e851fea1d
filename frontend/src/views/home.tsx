import { useI18n } from '../lib/i18n-react.tsx';
import { Link } from '../lib/router-react.tsx';
import { useSession } from '../lib/session-react.tsx';
import { mayOpen } from '../lib/view-access.ts';

const TILES = [
  ['/wall', 'nav.wall', 'home.wall'],
  ['/desk', 'nav.desk', 'home.desk'],
  ['/analyst', 'nav.analyst', 'home.analyst'],
  ['/onboarding', 'nav.onboarding', 'home.onboarding'],
] as const;

/** The start page: the views this account's role may open. */
export function HomeView() {
  const { t } = useI18n();
  const { me } = useSession();
  return (
    <div className="center-card">
      <h1>{t('app.title')}</h1>
      <p>{t('home.intro')}</p>
      <div className="tiles" data-testid="home-tiles">
        {TILES.filter(([href]) => mayOpen(me?.role, href)).map(([href, name, about]) => (
          <Link key={href} href={href}>
            <b>{t(name)}</b>
            {t(about)}
          </Link>
        ))}
      </div>
    </div>
  );
}
