import { useState, type FormEvent } from 'react';
import { loginResponseSchema } from '@firelink/common';
import { ApiError, api, setCsrfToken } from '../api/http.ts';
import { useSession } from '../lib/session-react.tsx';
import { useI18n } from '../lib/i18n-react.tsx';
import { navigate } from '../lib/router-react.tsx';
import { errorText } from '../lib/errors.ts';

export function LoginView({ next }: { next: string }) {
  const { t, locale, setLocale } = useI18n();
  const { refresh } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api('/api/auth/login', loginResponseSchema, {
        method: 'POST',
        // Logging in to the wall display asks for a session that may keep itself alive.
        body: { username, password, session: 'cookie', ...(/^\/wall(\/|$|\?)/.test(next) ? { purpose: 'wall' } : {}) },
        quiet401: true,
      });
      setCsrfToken(me.csrfToken);
      await refresh();
      navigate(next, { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setError(t('login.unavailable'));
      else setError(t('login.failed', { message: errorText(locale, err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="center-card login">
      <h1>{t('app.title')}</h1>
      <h2>{t('login.title')}</h2>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          {t('login.username')}
          <br />
          <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
        </label>
        <label>
          {t('login.password')}
          <br />
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {t('login.submit')}
        </button>
        {error && <div className="error" role="alert">{error}</div>}
      </form>
      <p>
        <button type="button" onClick={() => setLocale(locale === 'zh-CN' ? 'en' : 'zh-CN')}>{t('nav.language')}</button>
      </p>
    </div>
  );
}
