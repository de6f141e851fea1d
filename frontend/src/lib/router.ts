// The app's routes. Pure: path in, route out; the React hook lives in router-react.tsx.

export type Route =
  | { name: 'home' }
  | { name: 'wall' }
  | { name: 'desk'; alarmId: number | null }
  | { name: 'unit'; id: number }
  | { name: 'analyst' }
  | { name: 'onboarding'; rest: string }
  | { name: 'duty' }
  | { name: 'supervise' }
  | { name: 'station'; rest: string }
  | { name: 'login'; next: string }
  | { name: 'not-found'; path: string };

const ID = /^[1-9]\d{0,15}$/;

export function matchRoute(pathname: string, search = ''): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(search);
  if (parts.length === 0) return { name: 'home' };
  const [head, a, ...more] = parts;
  switch (head) {
    case 'wall':
      if (parts.length === 1) return { name: 'wall' };
      break;
    case 'desk':
      if (parts.length === 1) return { name: 'desk', alarmId: null };
      if (parts.length === 2 && ID.test(a!)) return { name: 'desk', alarmId: Number(a) };
      break;
    case 'units':
      if (parts.length === 2 && ID.test(a!)) return { name: 'unit', id: Number(a) };
      break;
    case 'analyst':
      return { name: 'analyst' };
    case 'onboarding':
      return { name: 'onboarding', rest: [a, ...more].filter(Boolean).join('/') };
    case 'duty':
      if (parts.length === 1) return { name: 'duty' };
      break;
    case 'supervise':
      if (parts.length === 1) return { name: 'supervise' };
      break;
    case 'station':
      return { name: 'station', rest: [a, ...more].filter(Boolean).join('/') };
    case 'login': {
      const next = q.get('next') ?? '/';
      // Only same-origin paths: never redirect to another site after login.
      return { name: 'login', next: next.startsWith('/') && !next.startsWith('//') ? next : '/' };
    }
  }
  return { name: 'not-found', path };
}

export function routePath(r: Route): string {
  switch (r.name) {
    case 'home':
      return '/';
    case 'wall':
      return '/wall';
    case 'desk':
      return r.alarmId === null ? '/desk' : `/desk/${r.alarmId}`;
    case 'unit':
      return `/units/${r.id}`;
    case 'analyst':
      return '/analyst';
    case 'onboarding':
      return r.rest ? `/onboarding/${r.rest}` : '/onboarding';
    case 'duty':
      return '/duty';
    case 'supervise':
      return '/supervise';
    case 'station':
      return r.rest ? `/station/${r.rest}` : '/station';
    case 'login':
      return `/login?next=${encodeURIComponent(r.next)}`;
    case 'not-found':
      return r.path;
  }
}
