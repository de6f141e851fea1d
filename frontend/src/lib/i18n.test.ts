// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { ALARM_STEPS } from '@firelink/common';
import { eventKindName, formatAgo, formatFloor, formatTime, resolveLocale, translate } from './i18n.ts';
import { matchRoute, routePath } from './router.ts';

describe('i18n', () => {
  it('defaults to zh-CN and accepts only known locales from storage', () => {
    assert.equal(resolveLocale(null), 'zh-CN');
    assert.equal(resolveLocale('fr'), 'zh-CN');
    assert.equal(resolveLocale('en'), 'en');
  });
  it('translates with parameters', () => {
    assert.equal(translate('zh-CN', 'conn.reconnecting', { seconds: 5 }), '网络中断，正在重新连接（5 秒）…');
    assert.equal(translate('en', 'kind.fire'), 'Fire');
    assert.equal(eventKindName('zh-CN', 'duty_check_missed'), '查岗未应答');
    assert.equal(eventKindName('en', 'something_new'), 'something_new');
  });
  it('names every alarm step in both languages (the desk timeline shows no raw step codes)', () => {
    for (const step of ALARM_STEPS) {
      assert.notEqual(eventKindName('zh-CN', `step:${step}`), `step:${step}`, `no zh-CN name for step ${step}`);
      assert.notEqual(eventKindName('en', `step:${step}`), `step:${step}`, `no English name for step ${step}`);
    }
    assert.equal(eventKindName('zh-CN', 'step:reopened'), '复报重开');
  });
  it('shows times in Asia/Shanghai whatever the process time zone', () => {
    // 16:30 UTC is 00:30 the next day in Beijing (UTC+8, no DST).
    assert.equal(formatTime('2026-03-01T16:30:05Z', 'zh-CN'), '2026/03/02 00:30:05');
    assert.equal(formatTime('2026-03-01T16:30:05Z', 'en', 'time'), '00:30:05');
    assert.equal(formatTime('not a time', 'en'), '—');
    assert.equal(formatTime(null, 'en'), '—');
  });
  it('formats ages and floors', () => {
    assert.equal(formatAgo('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:02:05Z'), 'en'), '2 min ago');
    assert.equal(formatFloor(-2, 'zh-CN'), 'B2');
    assert.equal(formatFloor(3, 'en'), 'Floor 3');
  });
});

describe('router', () => {
  it('matches the app routes', () => {
    assert.deepEqual(matchRoute('/wall'), { name: 'wall' });
    assert.deepEqual(matchRoute('/desk/'), { name: 'desk', alarmId: null });
    assert.deepEqual(matchRoute('/desk/42'), { name: 'desk', alarmId: 42 });
    assert.deepEqual(matchRoute('/units/7'), { name: 'unit', id: 7 });
    assert.deepEqual(matchRoute('/units/abc'), { name: 'not-found', path: '/units/abc' });
    assert.deepEqual(matchRoute('/onboarding/units/3'), { name: 'onboarding', rest: 'units/3' });
    assert.deepEqual(matchRoute('/'), { name: 'home' });
  });
  it('never redirects off-site after login', () => {
    assert.deepEqual(matchRoute('/login', '?next=/desk'), { name: 'login', next: '/desk' });
    assert.deepEqual(matchRoute('/login', '?next=//evil.example/'), { name: 'login', next: '/' });
    assert.deepEqual(matchRoute('/login', '?next=https://evil.example/'), { name: 'login', next: '/' });
  });
  it('round-trips paths', () => {
    for (const p of ['/wall', '/desk', '/desk/3', '/units/9', '/analyst', '/onboarding']) assert.equal(routePath(matchRoute(p)), p);
  });
});
