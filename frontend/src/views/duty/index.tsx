// The duty view, mounted by the app at /duty: the post's roster, handover, duty log, the 119
// communication test and the alarm handling register with its exports.
import { useEffect, useState } from 'react';
import { useI18n } from '../../lib/i18n-react.tsx';
import { useSession } from '../../lib/session-react.tsx';
import { errorText, fetchPosts, fetchUsers } from './api.ts';
import { CommStatus } from './comm-status.tsx';
import { DutyLog } from './duty-log.tsx';
import { Handover } from './handover.tsx';
import { Register } from './register.tsx';
import { Roster } from './roster.tsx';
import { useLoad } from './shared.tsx';
import { Watch } from './watch.tsx';
import { s } from './strings.ts';
import './duty.css';

const POST_KEY = 'firelink.duty.post';
const ACT_ROLES = ['admin', 'operator', 'dispatcher', 'supervisor'];
const ROSTER_ROLES = ['admin', 'supervisor'];

export default function DutyView(_props: { path?: string }) {
  const { locale } = useI18n();
  const { me } = useSession();
  const posts = useLoad((sig) => fetchPosts(sig), []);
  const [post, setPost] = useState<number | null>(null);
  // Changes in one panel (a handover, a comm test) add entries to the others: reload them.
  const [reloadKey, setReloadKey] = useState(0);
  const bump = () => setReloadKey((k) => k + 1);

  useEffect(() => {
    const list = posts.data?.posts ?? [];
    if (!list.length || post !== null) return;
    const saved = Number(localStorage.getItem(POST_KEY));
    setPost(list.some((p) => p.adcode === saved) ? saved : list[0]!.adcode);
  }, [posts.data, post]);
  useEffect(() => {
    if (post !== null) localStorage.setItem(POST_KEY, String(post));
  }, [post]);

  const users = useLoad((sig) => (post === null ? Promise.resolve({ users: [] }) : fetchUsers(post, sig)), [post]);
  const role = me?.role ?? '';
  const canAct = ACT_ROLES.includes(role);

  return (
    <div className="duty-page" data-testid="duty-view">
      <div className="duty-top">
        <h1>{s(locale, 'title')}</h1>
        {posts.data && posts.data.posts.length > 0 && (
          <label className="duty-post">
            {s(locale, 'post')}
            <select value={post ?? ''} onChange={(e) => setPost(Number(e.target.value))} data-testid="duty-post">
              {posts.data.posts.map((p) => (
                <option key={p.adcode} value={p.adcode}>
                  {locale === 'en' && p.nameEn ? p.nameEn : p.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <span className="duty-spacer" />
        <CommStatus canRun={canAct} onRan={bump} />
      </div>
      {posts.error != null && <div className="duty-error">{errorText(locale, posts.error)}</div>}
      {posts.data && posts.data.posts.length === 0 && <div className="duty-muted">{s(locale, 'noPost')}</div>}
      {post !== null && (
        <div className="duty-grid">
          <Roster post={post} users={users.data?.users ?? []} canEdit={ROSTER_ROLES.includes(role)} reloadKey={reloadKey} />
          <Handover post={post} users={users.data?.users ?? []} myId={me?.id ?? null} canAct={canAct} reloadKey={reloadKey} onChange={bump} />
          <DutyLog post={post} canAct={canAct} reloadKey={reloadKey} />
          <Watch post={post} reloadKey={reloadKey} />
          <Register />
        </div>
      )}
    </div>
  );
}
