// The application shell: session, routing, top bar, and the views.
import { lazy, Suspense, useCallback, useEffect, useState, type ComponentType, type ReactNode } from 'react';
import { meSchema, type Me } from '@firelink/common';
import { ApiError, api, setCsrfToken, setUnauthorizedHandler } from './api/http.ts';
import { useI18n } from './lib/i18n-react.tsx';
import type { MessageKey } from './lib/i18n.ts';
import { Link, navigate, useRoute } from './lib/router-react.tsx';
import { routePath, type Route } from './lib/router.ts';
import { SessionCtx, useSession, type Session } from './lib/session-react.tsx';
import { accessText, deniedText, mayOpen } from './lib/view-access.ts';
import { DeskView } from './views/desk.tsx';
import { openUnitFinder } from './lib/open-finder.ts';
import { finderText } from './views/finder/strings.ts';
import { SyntheticBadge } from './views/synthetic-badge.tsx';
import { UnitFinder } from './views/finder/unit-finder.tsx';
import { HomeView } from './views/home.tsx';
import { LoginView } from './views/login.tsx';
import { UnitView } from './views/unit.tsx';
import { WallView } from './views/wall.tsx';

// Views written by other areas (ANALYTICS: views/analyst, ONBOARDING: views/onboarding) are
// hosted here: each folder's index.tsx default-exports a component. The glob is empty
// until the file exists, so the app builds either way.
const hosted = import.meta.glob<{ default: ComponentType<{ path: string }> }>(['./views/analyst/index.tsx', './views/onboarding/index.tsx', './views/duty/index.tsx', './views/supervise/index.tsx', './views/station/index.tsx']);
const lazyHosted = (file: string) => {
  const load = hosted[file];
  return load ? lazy(load) : null;
};
const AnalystView = lazyHosted('./views/analyst/index.tsx');
const OnboardingView = lazyHosted('./views/onboarding/index.tsx');
const DutyView = lazyHosted('./views/duty/index.tsx');
const SuperviseView = lazyHosted('./views/supervise/index.tsx');
const StationView = lazyHosted('./views/station/index.tsx');

function TopBar({ route }: { route: Route }) {
  const { t, locale, setLocale } = useI18n();
  const { me, logout } = useSession();
  const items: Array<[string, MessageKey]> = [
    ['/wall', 'nav.wall'],
    ['/desk', 'nav.desk'],
    ['/analyst', 'nav.analyst'],
    ['/onboarding', 'nav.onboarding'],
    ['/duty', 'nav.duty'],
    ['/supervise', 'nav.supervise'],
    ['/station', 'nav.station'],
  ];
  const current = routePath(route);
  return (
    <header className="topbar">
      <Link href="/" className="brand">
        <span className="dot" />
        {t('app.title')}
      </Link>
      <SyntheticBadge />
      <nav>
        {items.filter(([href]) => mayOpen(me?.role, href)).map(([href, key]) => (
          <Link key={href} href={href} className={current.startsWith(href) ? 'active' : ''}>
            {t(key)}
          </Link>
        ))}
      </nav>
      <span className="spacer" />
      <button type="button" className="finder-open" onClick={() => openUnitFinder()} title={finderText(locale, 'findHint')} data-testid="finder-open">
        {finderText(locale, 'find')} <kbd>/</kbd>
      </button>
      <button type="button" onClick={() => setLocale(locale === 'zh-CN' ? 'en' : 'zh-CN')} data-testid="lang-switch">
        {t('nav.language')}
      </button>
      {me && (
        <>
          <span className="user">{me.displayName}</span>
          <button type="button" onClick={() => void logout()}>
            {t('nav.logout')}
          </button>
        </>
      )}
    </header>
  );
}


function Hosted({ view: View, path }: { view: ReturnType<typeof lazyHosted>; path: string }) {
  const { t } = useI18n();
  if (!View) return <div className="hint">{t('view.missing')}</div>;
  return (
    <Suspense fallback={<div className="hint">{t('unit.loading')}</div>}>
      <View path={path} />
    </Suspense>
  );
}

/** The top bar's name of the view at `path` ('/desk/12' → 接警台). */
const VIEW_NAMES: Record<string, MessageKey> = {
  '/wall': 'nav.wall',
  '/desk': 'nav.desk',
  '/analyst': 'nav.analyst',
  '/onboarding': 'nav.onboarding',
  '/duty': 'nav.duty',
  '/supervise': 'nav.supervise',
  '/station': 'nav.station',
};

/** A view outside the caller's role: say whom it is for instead of a screen of 403s. */
function NotForRole({ path }: { path: string }) {
  const { t, locale } = useI18n();
  const { me } = useSession();
  const key = VIEW_NAMES[/^\/[^/]+/.exec(path)?.[0] ?? ''];
  return (
    <div className="center-card" role="alert" data-testid="not-for-role">
      <h1>{accessText(locale, 'denied.title')}</h1>
      {me && <p>{deniedText(locale, path, key ? t(key) : path, me.role)}</p>}
      <Link href="/">{accessText(locale, 'denied.home')}</Link>
    </div>
  );
}

function Shell({ route, children }: { route: Route; children: ReactNode }) {
  const { me } = useSession();
  const path = routePath(route);
  return (
    <>
      <TopBar route={route} />
      <main className="page">{me && !mayOpen(me.role, path) ? <NotForRole path={path} /> : children}</main>
    </>
  );
}

export function App() {
  const route = useRoute();
  const { t } = useI18n();
  const [me, setMe] = useState<Me | null>(null);
  const [status, setStatus] = useState<Session['status']>('loading');

  const refresh = useCallback(async () => {
    try {
      const m = await api('/api/auth/me', meSchema, { quiet401: true });
      setCsrfToken(m.csrfToken);
      setMe(m);
      setStatus('signed-in');
    } catch (err) {
      setMe(null);
      setStatus(err instanceof ApiError && err.status === 404 ? 'anonymous' : 'signed-out');
    }
  }, []);
  const logout = useCallback(async () => {
    await api('/api/auth/logout', null, { method: 'POST' }).catch(() => {});
    setCsrfToken(null);
    setMe(null);
    setStatus('signed-out');
  }, []);

  useEffect(() => {
    // On the login page there is nothing to ask yet (and a 401 would only be noise).
    if (location.pathname.startsWith('/login')) setStatus('signed-out');
    else void refresh();
    setUnauthorizedHandler(() => setStatus('signed-out'));
    return () => setUnauthorizedHandler(null);
  }, [refresh]);

  useEffect(() => {
    document.title = t('app.title');
  }, [t]);

  // Signed out anywhere but the login page: go log in, then come back.
  useEffect(() => {
    if (status === 'signed-out' && route.name !== 'login') {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    }
  }, [status, route.name]);

  const session: Session = { me, status, refresh, logout };
  let body: ReactNode;
  if (status === 'loading') body = null;
  else if (route.name === 'login') body = <LoginView next={route.next} />;
  else if (status === 'signed-out') body = null;
  else if (route.name === 'wall' && (!me || mayOpen(me.role, '/wall'))) body = <WallView />;
  else
    body = (
      <Shell route={route}>
        {route.name === 'home' && <HomeView />}
        {route.name === 'desk' && <DeskView alarmId={route.alarmId} />}
        {route.name === 'unit' && <UnitView id={route.id} />}
        {route.name === 'analyst' && <Hosted view={AnalystView} path="" />}
        {route.name === 'onboarding' && <Hosted view={OnboardingView} path={route.rest} />}
        {route.name === 'duty' && <Hosted view={DutyView} path="" />}
        {route.name === 'supervise' && <Hosted view={SuperviseView} path="" />}
        {route.name === 'station' && <Hosted view={StationView} path={route.rest} />}
        {route.name === 'not-found' && (
          <div className="center-card">
            <h1>{t('notFound.title')}</h1>
            <Link href="/">{t('notFound.back')}</Link>
          </div>
        )}
      </Shell>
    );
  return (
    <SessionCtx.Provider value={session}>
      {body}
      {status === 'signed-in' && route.name !== 'login' && <UnitFinder />}
      {/* On a screen with a top bar (and the wall's header) the label sits in the bar, over no content. */}
      {route.name === 'login' && <SyntheticBadge floating />}
    </SessionCtx.Provider>
  );
}
