// @firelink/ingest: the device-facing edge.
export * from './codec/index.ts';
export * from './domain/normalize.ts';
export { EventStore, systemEvent, type StoreResult, type DeviceInfo, type EventStoreOptions } from './store/event-store.ts';
export { RawFrameBudget, type RawFrameBudgetOptions } from './store/raw-frame-budget.ts';
export { IngestRetention, type RetentionOptions } from './store/retention.ts';
export { startGb26875Server, type Gb26875Server, type Gb26875ServerOptions, type IngestLogger } from './server/gb26875-server.ts';
export { PeerPolicy, buildPeerRules, parseCidr, peerAllowed, type PeerRules } from './server/peer-policy.ts';
export { LatencyRecorder } from './server/latency.ts';
export { DeviceHealth, type DeviceHealthOptions } from './health/device-health.ts';
export { DutyChecks, type DutyCheckOptions, type DutyCheckPolicy } from './health/duty-checks.ts';
export { SimulatedUitd, UnconfirmedError, type SimulatedUitdOptions, type SendResult, type PointRef } from './sim/simulated-uitd.ts';
export { Fleet, formatReport, syntheticPoints, type FleetOptions, type FleetReport } from './sim/fleet.ts';
export { seededRandom } from './sim/random.ts';
export { loadFleetFromDatabase } from './sim/registry.ts';
