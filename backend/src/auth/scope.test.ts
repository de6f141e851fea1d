import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scopeAllows, scopePredicate } from './scope.ts';

describe('jurisdiction scope', () => {
  it('a city code covers its districts, a district code only itself', () => {
    const city = { kind: 'regions', adcodes: [320100] } as const;
    assert.equal(scopeAllows(city, { regionAdcode: 320106 }), true);
    assert.equal(scopeAllows(city, { regionAdcode: 320200 + 5 }), false);
    const gulou = { kind: 'regions', adcodes: [320106] } as const;
    assert.equal(scopeAllows(gulou, { regionAdcode: 320106 }), true);
    assert.equal(scopeAllows(gulou, { regionAdcode: 320102 }), false);
    assert.equal(scopeAllows(gulou, { regionAdcode: null }), false);
  });

  it('fails closed when the scope kind has no column to filter', () => {
    const values: unknown[] = [];
    assert.equal(scopePredicate({ kind: 'units', unitIds: [1] }, { region: 'region_adcode' }, values), 'FALSE');
    assert.equal(scopePredicate({ kind: 'regions', adcodes: [] }, { region: 'r' }, values), 'FALSE');
    assert.deepEqual(values, []);
  });

  it('appends parameters, never literal values', () => {
    const values: unknown[] = ['x'];
    const sql = scopePredicate({ kind: 'regions', adcodes: [320106] }, { region: 'u.region_adcode' }, values);
    assert.match(sql, /\$2::int\[\]/);
    assert.deepEqual(values, ['x', [320106]]);
  });
});
