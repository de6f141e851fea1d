// The label of the synthetic demo city, on every screen while the database holds it: in the
// top bar (or the wall's header), where it covers nothing; floating only on the login page.
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { api } from '../api/http.ts';
import { useI18n } from '../lib/i18n-react.tsx';

const healthSchema = z.object({ demoData: z.boolean().optional() }).passthrough();

/** One question per page load, shared by every badge. */
let demoData: Promise<boolean> | null = null;
function isDemoData(): Promise<boolean> {
  demoData ??= api('/api/health', healthSchema, { quiet401: true })
    .then((h) => h.demoData === true)
    .catch(() => {
      demoData = null;
      return false;
    });
  return demoData;
}

export function SyntheticBadge({ floating = false }: { floating?: boolean }) {
  const { t } = useI18n();
  const [demo, setDemo] = useState(false);
  useEffect(() => {
    let live = true;
    void isDemoData().then((d) => {
      if (live) setDemo(d);
    });
    return () => {
      live = false;
    };
  }, []);
  if (!demo) return null;
  return (
    <span className={`synthetic-badge${floating ? ' floating' : ''}`} data-testid="synthetic-badge" role="note">
      {t('app.synthetic')}
    </span>
  );
}
