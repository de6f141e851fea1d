// React binding of the i18n module: the locale lives in a context and in localStorage.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { LOCALE_STORAGE_KEY, type Locale, type MessageKey, resolveLocale, translate } from './i18n.ts';

interface I18n {
  locale: Locale;
  setLocale: (l: Locale) => void;
  t: (key: MessageKey, params?: Record<string, string | number>) => string;
}

const Ctx = createContext<I18n | null>(null);

function readStored(): string | null {
  try {
    return localStorage.getItem(LOCALE_STORAGE_KEY);
  } catch {
    return null;
  }
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(() => resolveLocale(readStored()));
  const setLocale = useCallback((l: Locale) => {
    setLocaleState(l);
    try {
      localStorage.setItem(LOCALE_STORAGE_KEY, l);
    } catch {
      // private mode: the choice lasts for this page only
    }
    document.documentElement.lang = l;
  }, []);
  const value = useMemo<I18n>(() => ({ locale, setLocale, t: (k, p) => translate(locale, k, p) }), [locale, setLocale]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n() outside <I18nProvider>: wrap the app in it (src/main.tsx)');
  return v;
}
