// Pure rules of supervision's second part: risk bands of the plan, stage judgement and league
// ranks, acceptance evidence and who may sign, photo sniffing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAcceptanceSign, signalEvidence } from './acceptance.ts';
import { judgeStages, leagueRanks, pctOf, stagesFor } from './league.ts';
import { sniffPhoto } from './photo.ts';
import { addDays, bandOf, nextDue, planBands, sortBands } from './plan.ts';

const BANDS = [
  { band: 'normal', uptoPct: 100, everyDays: 90 },
  { band: 'high', uptoPct: 10, everyDays: 30 },
];

describe('inspection plan bands', () => {
  it('the top decile of each district monthly, the rest quarterly; ties by unit id', () => {
    const units = Array.from({ length: 20 }, (_, i) => ({ unitId: i + 1, regionAdcode: i < 10 ? 1 : 2, score: i % 10 === 3 ? 50 : 10 - (i % 10) }));
    const p = planBands(units, BANDS);
    const high = p.filter((u) => u.band === 'high').map((u) => u.unitId);
    assert.deepEqual(high, [4, 14]); // 1 of 10 per district
    assert.equal(p.find((u) => u.unitId === 1)!.rankInRegion, 2);
    assert.ok(p.every((u) => u.regionUnits === 10));
    assert.equal(bandOf(2, 20, sortBands(BANDS)).band, 'high'); // exactly 10 %
    assert.equal(bandOf(3, 20, sortBands(BANDS)).band, 'normal');
    assert.throws(() => sortBands([{ band: 'high', uptoPct: 10, everyDays: 30 }]), /uptoPct 100/);
  });
  it('next due: today when never inspected, else the last inspection plus the interval', () => {
    assert.equal(nextDue(null, 30, '2026-12-04'), '2026-12-04');
    assert.equal(nextDue('2026-11-20', 30, '2026-12-04'), '2026-12-20');
    assert.equal(addDays('2026-12-31', 1), '2027-01-01');
  });
});

describe('league', () => {
  it('stages passed are met or missed, later ones upcoming; the district own stages win over the city', () => {
    const s = judgeStages(
      [
        { dueOn: '2027-06-30', targetPct: 100 },
        { dueOn: '2026-06-30', targetPct: 60 },
        { dueOn: '2026-12-04', targetPct: 80 },
      ],
      75,
      '2026-12-04',
    );
    assert.deepEqual(s.map((x) => x.state), ['met', 'missed', 'upcoming']);
    assert.deepEqual(judgeStages([{ dueOn: '2026-01-01', targetPct: 90 }], null, '2026-12-04')[0]!.state, 'met');
    const all = [
      { regionAdcode: 320100, metric: 'high_risk', dueOn: 'a', targetPct: 1 },
      { regionAdcode: 320102, metric: 'high_risk', dueOn: 'b', targetPct: 2 },
    ];
    assert.deepEqual(stagesFor(all, 320102, 'high_risk').map((x) => x.dueOn), ['b']);
    assert.deepEqual(stagesFor(all, 320106, 'high_risk').map((x) => x.dueOn), ['a']);
    assert.deepEqual(stagesFor(all, 320106, 'control_room'), []);
    assert.equal(pctOf(1, 3), 33.33);
    assert.equal(pctOf(1, 0), null);
    assert.deepEqual(leagueRanks([{ missed: 1, score: 190 }, { missed: 0, score: 100 }, { missed: 1, score: 190 }]), [2, 1, 2]);
  });
});

describe('acceptance', () => {
  it('evidence per signal from the received events; the collecting agency may not sign; a pass needs all five', () => {
    const at = new Date('2026-12-04T02:00:00Z');
    const ev = signalEvidence([
      { id: 3, kind: 'fire', receivedAt: at },
      { id: 4, kind: 'mains_power_fault', receivedAt: at },
      { id: 5, kind: 'supervisory', receivedAt: at },
      { id: 6, kind: 'started', receivedAt: at },
    ]);
    assert.deepEqual([ev.signals.fault.eventIds, ev.signals.feedback.received, ev.signals.dutyCheck.received, ev.complete], [[4], true, false, false]);
    assert.equal(checkAcceptanceSign({ inspectorAgencyId: 7, collectingAgencyId: 7, result: 'fail', complete: true }).ok, false);
    const incomplete = checkAcceptanceSign({ inspectorAgencyId: 8, collectingAgencyId: 7, result: 'pass', complete: false });
    assert.ok(!incomplete.ok && incomplete.status === 409 && /every signal/.test(incomplete.reason));
    const own = checkAcceptanceSign({ inspectorAgencyId: 7, collectingAgencyId: 7, result: 'pass', complete: true });
    assert.ok(!own.ok && own.status === 403);
    assert.deepEqual(checkAcceptanceSign({ inspectorAgencyId: null, collectingAgencyId: 7, result: 'pass', complete: true }), { ok: true });
  });
});

describe('photos', () => {
  it('JPEG, PNG and WebP by their first bytes; anything else is refused', () => {
    assert.equal(sniffPhoto(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
    assert.equal(sniffPhoto(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'image/png');
    assert.equal(sniffPhoto(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ')), 'image/webp');
    assert.equal(sniffPhoto(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>')), null);
    assert.equal(sniffPhoto(new Uint8Array([])), null);
  });
});
