import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

describe('config', () => {
  it('has sensible defaults', () => {
    const c = loadConfig({});
    assert.equal(c.PORT, 8080);
    assert.equal(c.GB26875_PORT, 9030);
    assert.equal(c.FIRE_ESCALATE_AFTER_S, 30);
  });

  it('names the variable and the rule when a value is bad', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /PORT="eighty"/);
      return true;
    });
    assert.throws(() => loadConfig({ GB26875_PORT: '70000' }), /GB26875_PORT="70000": must be 0–65535/);
  });

  it('treats an empty variable as unset (.env files, compose ${X:-})', () => {
    const c = loadConfig({ METRICS_TOKEN: '', FORWARD_119_URL: '', PORT: '' });
    assert.equal(c.METRICS_TOKEN, undefined);
    assert.equal(c.FORWARD_119_URL, undefined);
    assert.equal(c.PORT, 8080);
  });

  it('has one schema with sections: onboarding, analytics and the private cluster are validated like the rest', () => {
    const c = loadConfig({ ONBOARDING_DRAWINGS_DAYS: '', ANALYTICS_REFRESH_MS: '5000' });
    assert.equal(c.ONBOARDING_DRAWINGS_DAYS, 90, 'empty means unset in every section');
    assert.equal(c.ANALYTICS_REFRESH_MS, 5000);
    assert.equal(c.CHROMIUM_PATH, '/usr/bin/chromium');
    assert.throws(() => loadConfig({ ONBOARDING_RULES_DISABLED: 'no_such_rule' }), /ONBOARDING_RULES_DISABLED="no_such_rule": unknown rule id/);
    assert.throws(() => loadConfig({ ANALYTICS_REFRESH_MS: 'soon' }), /ANALYTICS_REFRESH_MS="soon"/);
    assert.throws(() => loadConfig({ FIRELINK_PG_PORT: '99999' }), /FIRELINK_PG_PORT="99999": must be 0–65535/);
  });
});
