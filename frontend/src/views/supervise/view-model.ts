// Pure helpers of the supervise view: which states a tab shows, map colours, the bounds of
// the tasks on the map.
import type { TaskDto, TaskState } from '@firelink/common';

export type Tab = 'pending' | 'finished' | 'everything';
export const TAB_STATES: Record<Tab, TaskState[]> = {
  pending: ['open', 'in_progress', 'checked'],
  finished: ['rectified', 'case_opened', 'closed'],
  everything: [],
};

type Rgba = [number, number, number, number];
/** Overdue red, pending amber, finished green (as in the legend). */
export function taskColor(t: Pick<TaskDto, 'overdue' | 'state'>): Rgba {
  if (t.overdue) return [255, 64, 64, 235];
  if (TAB_STATES.finished.includes(t.state)) return [46, 204, 113, 220];
  return [255, 170, 0, 235];
}

/** [west, south, east, north] of the located tasks, padded so a single unit is not a point. */
export function taskBounds(tasks: readonly Pick<TaskDto, 'lonLatWgs84'>[]): [number, number, number, number] | null {
  const pts = tasks.map((t) => t.lonLatWgs84).filter((p): p is [number, number] => p !== null);
  if (pts.length === 0) return null;
  const lons = pts.map((p) => p[0]);
  const lats = pts.map((p) => p[1]);
  const pad = 0.01;
  return [Math.min(...lons) - pad, Math.min(...lats) - pad, Math.max(...lons) + pad, Math.max(...lats) + pad];
}
