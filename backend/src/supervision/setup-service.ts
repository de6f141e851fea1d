// Supervision setup: testing agencies (消防设施检测机构) registered and edited within the
// caller's jurisdiction, and the agency that tested a unit. Every write is audited.
import type { TestingAgency, UnitAgencies } from '@firelink/common';
import { recordAudit } from '../audit/audit.ts';
import { requireRegionInScope, requireUnitInScope, scopeAllows, type Principal } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { badRequest, conflict, explainDatabaseError, forbidden, notFound } from '../kernel/errors.ts';
import * as sq from './setup-queries.ts';
import * as w from './work-queries.ts';

const DUPLICATE = 'a testing agency of that name is already registered: edit that one';

/** An admin edits every agency; a supervisor those registered in a region of their jurisdiction. */
const mayEdit = (p: Principal, regionAdcode: number | null) => p.role === 'admin' || (p.role === 'supervisor' && regionAdcode != null && scopeAllows(p.scope, { regionAdcode }));

export class SupervisionSetup {
  constructor(private readonly pool: Pool) {}

  async testingAgencies(p: Principal): Promise<TestingAgency[]> {
    return (await this.pool.query(sq.listTestingAgencies(p.scope))).rows.map((r) => {
      const regionAdcode = r.region_adcode == null ? null : Number(r.region_adcode);
      return {
        id: Number(r.id),
        name: String(r.name),
        licenseNo: r.license_no ?? null,
        regionAdcode,
        regionName: r.region_name ?? null,
        units: Number(r.units),
        version: Number(r.version),
        editable: mayEdit(p, regionAdcode),
      };
    });
  }

  /** 404 unless the unit lies in the caller's jurisdiction. */
  async requireUnit(p: Principal, id: number): Promise<void> {
    await requireUnitInScope(this.pool, p.scope, id);
  }

  /** 404 unless the caller sees the agency. */
  async requireTestingAgency(p: Principal, id: number): Promise<void> {
    if (!(await this.testingAgencies(p)).some((a) => a.id === id)) throw notFound(`no testing agency ${id}`);
  }

  async createTestingAgency(p: Principal, b: { name: string; licenseNo?: string | null | undefined; regionAdcode?: number | null | undefined }, ip: string | null): Promise<TestingAgency> {
    const regionAdcode = b.regionAdcode ?? null;
    if (p.role !== 'admin') {
      if (regionAdcode == null) throw badRequest('name the region (regionAdcode) the agency is registered in: one of your jurisdiction');
      requireRegionInScope(p.scope, regionAdcode);
    }
    const id = await withTransaction(this.pool, async (c) => {
      if (regionAdcode != null && !(await c.query(w.regionsByCodes([regionAdcode]))).rows[0]) throw notFound(`no region ${regionAdcode}`);
      let row;
      try {
        await c.query('SAVEPOINT agency');
        row = (await c.query(sq.insertTestingAgency({ name: b.name, licenseNo: b.licenseNo || null, regionAdcode, createdBy: p.userId }))).rows[0];
      } catch (err) {
        throw explainDatabaseError(err, { unique: DUPLICATE });
      }
      const newId = Number(row.id);
      await recordAudit(c, { actor: p, ip, action: 'supervision.testing_agency_create', entity: 'testing_agency', entityId: newId, after: { name: b.name, licenseNo: b.licenseNo ?? null, regionAdcode } });
      return newId;
    });
    return (await this.testingAgencies(p)).find((a) => a.id === id)!;
  }

  async updateTestingAgency(p: Principal, id: number, b: { name: string; licenseNo?: string | null | undefined; version: number }, ip: string | null): Promise<TestingAgency> {
    await withTransaction(this.pool, async (c) => {
      const before = (await c.query(sq.testingAgencyForUpdate(id))).rows[0];
      if (!before || !(await this.testingAgencies(p)).some((a) => a.id === id)) throw notFound(`no testing agency ${id}`);
      if (!mayEdit(p, before.region_adcode == null ? null : Number(before.region_adcode))) throw forbidden('only an admin, or a supervisor of the region it is registered in, may edit this agency');
      if (Number(before.version) !== b.version) throw conflict('the agency was changed meanwhile: reload it and edit again', { version: Number(before.version) });
      try {
        await c.query('SAVEPOINT agency');
        await c.query(sq.updateTestingAgency(id, { name: b.name, licenseNo: b.licenseNo || null }));
      } catch (err) {
        throw explainDatabaseError(err, { unique: DUPLICATE });
      }
      await recordAudit(c, { actor: p, ip, action: 'supervision.testing_agency_update', entity: 'testing_agency', entityId: id, before: { name: before.name, licenseNo: before.license_no }, after: { name: b.name, licenseNo: b.licenseNo ?? null } });
    });
    return (await this.testingAgencies(p)).find((a) => a.id === id)!;
  }

  /** Who maintains and who tests the unit, its latest back-checks and the audited changes of its testing agency. */
  async unitAgencies(p: Principal, unitId: number): Promise<UnitAgencies> {
    await requireUnitInScope(this.pool, p.scope, unitId);
    const [u, checks, changes] = await Promise.all([
      this.pool.query(sq.unitAgencies(unitId)).then((r) => r.rows[0]),
      this.pool.query(sq.unitBackChecks(unitId, 20)).then((r) => r.rows),
      this.pool.query(sq.unitTestingAgencyChanges(unitId, 10)).then((r) => r.rows),
    ]);
    if (!u) throw notFound(`unit ${unitId} not found in your jurisdiction`);
    const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : String(d));
    return {
      unitId,
      unitName: String(u.name),
      regionName: u.region_name ?? null,
      maintenance: u.ma_id == null ? null : { id: Number(u.ma_id), name: String(u.ma_name), phone: u.ma_phone ?? null },
      testing: u.ta_id == null ? null : { id: Number(u.ta_id), name: String(u.ta_name), licenseNo: u.ta_license ?? null, since: iso(u.set_at) },
      backChecks: checks.map((c) => {
        const ev = Object.values((c.evidence ?? {}) as Record<string, { received?: boolean }>);
        return {
          id: Number(c.id),
          signedAt: iso(c.signed_at),
          result: c.result === 'pass' ? 'pass' : 'fail',
          inspectorName: String(c.inspector_name),
          deviceAddress: Number(c.device_address),
          signalsReceived: ev.filter((e) => e?.received === true).length,
          signalsAsked: ev.length,
          testingAgencyId: c.testing_agency_id == null ? null : Number(c.testing_agency_id),
          testingAgencyName: c.ta_name ?? null,
        };
      }),
      changes: changes.map((c) => ({ at: iso(c.at), actorName: c.actor_name ?? null, fromName: c.from_name ?? null, toName: c.to_name ?? null })),
    };
  }

  /** Which agency tested the unit (null clears it); the unit and the agency must be visible to the caller. */
  async setUnitTestingAgency(p: Principal, unitId: number, agencyId: number | null, ip: string | null): Promise<{ unitId: number; agencyId: number | null }> {
    if (agencyId != null && !(await this.testingAgencies(p)).some((a) => a.id === agencyId)) throw notFound(`no testing agency ${agencyId}`);
    await withTransaction(this.pool, async (c) => {
      await requireUnitInScope(c, p.scope, unitId, { lock: true });
      const before = (await c.query(sq.unitTestingAgency(unitId))).rows[0]?.testing_agency_id ?? null;
      await c.query(sq.setUnitTestingAgency(unitId, agencyId));
      await recordAudit(c, { actor: p, ip, action: 'supervision.unit_testing_agency', entity: 'unit', entityId: unitId, before: { agencyId: before == null ? null : Number(before) }, after: { agencyId } });
    });
    return { unitId, agencyId };
  }
}
