// Alarm storms and flapping points: the thresholds, and how a storm is said to people.
// Pure: no database (the SQL is alarms/storm-queries.ts, the transaction step alarms/storms.ts).
//
// Grouping (people read one line instead of thousands of rows):
//   area — at least `areaMinUnits` units of one district opened alarms of the same cause
//          (the event kind: mains_power_fault, host_offline, fault…) within `windowS`;
//   unit — at least `unitMinAlarms` alarms of one cause at one unit within `windowS` (a loop
//          fault that takes thirty detectors with it).
//   Later alarms of that cause and place join the group while it is active; a group ends
//   after `quietS` without a new member, and the next burst starts a new one.
// Flapping: an alarm closed by its clearing signal that comes back within `flapWindowS` is
//   reopened (flap count + 1) instead of opening a new row; from `flapHoldAt` flaps on, a
//   clearing only marks it cleared and it stays open until an operator closes it.
export interface StormPolicy {
  windowS: number;
  areaMinUnits: number;
  unitMinAlarms: number;
  quietS: number;
  flapWindowS: number;
  flapHoldAt: number;
}

export const DEFAULT_STORM_POLICY: StormPolicy = {
  windowS: 120,
  areaMinUnits: 20,
  unitMinAlarms: 3,
  quietS: 600,
  flapWindowS: 600,
  flapHoldAt: 2,
};
