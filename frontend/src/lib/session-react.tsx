// The signed-in session as React context: provided by the shell (app.tsx), read by any view.
import { createContext, useContext } from 'react';
import type { Me } from '@firelink/common';

export interface Session {
  me: Me | null;
  /** 'anonymous' only when the server has no auth endpoint at all (development). */
  status: 'loading' | 'signed-in' | 'signed-out' | 'anonymous';
  refresh: () => Promise<void>;
  logout: () => Promise<void>;
}

export const SessionCtx = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionCtx);
  if (!s) throw new Error('useSession() outside <App>');
  return s;
}
