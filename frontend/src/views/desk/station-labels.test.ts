// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { stationLabels } from './station-labels.ts';

const districts = new Map([
  [320102, '玄武区'],
  [320104, '秦淮区'],
]);

describe('stationLabels', () => {
  it('keeps a unique name as it is', () => {
    const l = stationLabels([{ stationId: 3, name: '珠江消防救援站', regionAdcode: 320102, phone: '025-1' }], districts, 'zh-CN');
    assert.equal(l.get(3), '珠江消防救援站');
  });

  // The desk showed '玄武区湖南消防救援站（玄武区 #12）': a raw id on the Chinese screen.
  it('tells namesakes apart by district, else by phone, never by id', () => {
    const byDistrict = stationLabels(
      [
        { stationId: 11, name: '湖南站', regionAdcode: 320102, phone: null },
        { stationId: 12, name: '湖南站', regionAdcode: 320104, phone: null },
      ],
      districts,
      'zh-CN',
    );
    assert.deepEqual([byDistrict.get(11), byDistrict.get(12)], ['湖南站（玄武区）', '湖南站（秦淮区）']);
    const byPhone = stationLabels(
      [
        { stationId: 11, name: '湖南站', regionAdcode: 320102, phone: '025-84000001' },
        { stationId: 12, name: '湖南站', regionAdcode: 320102, phone: '025-84000002' },
        // The dispatch record of station 12: no district or phone, the first entry counts.
        { stationId: 12, name: '湖南站' },
      ],
      districts,
      'zh-CN',
    );
    assert.deepEqual([byPhone.get(11), byPhone.get(12)], ['湖南站（电话 025-84000001）', '湖南站（电话 025-84000002）']);
    const neither = stationLabels(
      [
        { stationId: 12, name: '湖南站', regionAdcode: 320102 },
        { stationId: 11, name: '湖南站', regionAdcode: 320102 },
      ],
      districts,
      'zh-CN',
    );
    assert.deepEqual([neither.get(11), neither.get(12)], ['湖南站（玄武区·同名第 1 站）', '湖南站（玄武区·同名第 2 站）']);
    for (const v of [...byDistrict.values(), ...byPhone.values(), ...neither.values()]) assert.doesNotMatch(v, /#|\b1[12]\b/);
    const en = stationLabels(
      [
        { stationId: 11, name: 'Hunan', regionAdcode: 320102, phone: '1' },
        { stationId: 12, name: 'Hunan', regionAdcode: 320102, phone: '2' },
      ],
      districts,
      'en',
    );
    assert.equal(en.get(12), 'Hunan (tel. 2)');
  });
});
