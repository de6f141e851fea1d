// Registration of a unit's devices (UITDs) and who may speak for them. Each change runs in one
// transaction with its audit entry, on a unit the caller can see (locked for the change).
// GB/T 26875.3 has no authentication: a device's allowed peers (IPv4/IPv6 hosts or networks,
// NULL = any) are the listener's only check; it reloads them at once (NOTIFY from the table).
import { recordAudit } from '../audit/audit.ts';
import type { Caller } from '../auth/principal.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { conflict, notFound } from '../kernel/errors.ts';
import { unitInScope } from '../units/service.ts';
import * as q from './queries.ts';

export type DeviceProtocol = 'gb26875' | 'mqtt' | 'http';

export interface DeviceRegistrationInput {
  /** The address the device reports with (GB/T 26875: 6 bytes on the wire, < 2^48). */
  address: number;
  protocol: DeviceProtocol;
  model: string | null;
}

export interface RegisteredDevice {
  id: number;
  address: number;
  protocol: string;
  model: string | null;
  allowedPeers: string[] | null;
}

export class DeviceRegistration {
  constructor(private readonly pool: Pool) {}

  /**
   * Binds an address to the unit (new, unbound, or already the unit's). The allowlist is kept
   * as it was (only admins and supervisors change it); the audit shows it on both sides so a
   * re-registration can be checked at a glance.
   */
  async register(who: Caller, unitId: number, dev: DeviceRegistrationInput): Promise<RegisteredDevice> {
    const p = who.principal;
    return withTransaction(this.pool, async (c) => {
      await unitInScope(c, p.scope, unitId, true);
      const row = (await c.query(q.registerDevice(unitId, dev.address, dev.protocol, dev.model))).rows[0];
      if (!row) {
        // Bound to another unit: name it only to a caller who can see that unit, so the answer
        // does not map which addresses are installed outside the caller's jurisdiction.
        const holder = (await c.query(q.deviceHolderInScope(p.scope, dev.address, dev.protocol))).rows[0];
        if (holder) throw conflict(`device ${dev.protocol}:${dev.address} is registered to unit ${holder.id} (${holder.name}): unbind it there first`);
        throw conflict(`device ${dev.protocol}:${dev.address} cannot be registered to this unit: check the address, or ask an administrator`);
      }
      const peers = (row.allowed_peers as string[] | null) ?? null;
      await recordAudit(c, {
        actor: p,
        ip: who.ip,
        action: 'device.register',
        entity: 'unit',
        entityId: unitId,
        before: row.existed ? { deviceId: Number(row.id), unitId: row.before_unit_id === null ? null : Number(row.before_unit_id), allowedPeers: peers } : undefined,
        after: { ...dev, deviceId: Number(row.id), unitId, allowedPeers: peers },
      });
      return { id: Number(row.id), address: Number(row.address), protocol: row.protocol, model: row.model, allowedPeers: peers };
    });
  }

  /** Sets which peers may speak for one of the unit's devices (null = any). */
  async setAllowedPeers(who: Caller, unitId: number, deviceId: number, allowedPeers: string[] | null): Promise<{ id: number; address: number; allowedPeers: string[] | null }> {
    const p = who.principal;
    return withTransaction(this.pool, async (c) => {
      await unitInScope(c, p.scope, unitId, true);
      const row = (await c.query(q.setDevicePeers(unitId, deviceId, allowedPeers))).rows[0];
      if (!row) throw notFound('no such device on this unit');
      await recordAudit(c, {
        actor: p,
        ip: who.ip,
        action: 'device.peers',
        entity: 'unit',
        entityId: unitId,
        before: { deviceId, allowedPeers: row.before },
        after: { deviceId, allowedPeers: row.allowed_peers },
      });
      return { id: deviceId, address: Number(row.address), allowedPeers: row.allowed_peers as string[] | null };
    });
  }

  /** Unbinds a device from the unit; who may speak for it (allowed_peers) stays, shown on both sides. */
  async unbind(who: Caller, unitId: number, deviceId: number): Promise<void> {
    const p = who.principal;
    await withTransaction(this.pool, async (c) => {
      await unitInScope(c, p.scope, unitId, true);
      const row = (await c.query(q.unbindDevice(unitId, deviceId))).rows[0];
      if (!row) throw notFound('no such device on this unit');
      const peers = (row.allowed_peers as string[] | null) ?? null;
      await recordAudit(c, {
        actor: p,
        ip: who.ip,
        action: 'device.unbind',
        entity: 'unit',
        entityId: unitId,
        before: { deviceId, address: Number(row.address), unitId, allowedPeers: peers },
        after: { deviceId, address: Number(row.address), unitId: null, allowedPeers: peers },
      });
    });
  }
}
