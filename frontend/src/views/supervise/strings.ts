// Strings of the supervise view (zh-CN default, English switchable), kept in this folder so
// the view stays self-contained. Reasons, states and steps are named here; the server's
// codes never reach the screen.
import type { TaskReason, TaskState, TaskStepDto } from '@firelink/common';
import { defineMessages } from '../../lib/i18n.ts';

const zh = {
  title: '督办工作台',
  mine: '我的任务',
  all: '辖区全部',
  pending: '待办',
  finished: '已办结',
  everything: '全部',
  total: '共 {n} 项',
  overdueCount: '逾期 {n} 项',
  unit: '单位',
  reason: '事由',
  state: '状态',
  due: '期限',
  assignee: '负责人',
  unassigned: '未指定',
  overdue: '已逾期',
  escalated: '已上报 {name}',
  region: '辖区',
  evidence: '依据',
  alarms: '相关报警',
  history: '处理记录',
  note: '备注',
  notePlaceholder: '处理情况、联系记录、整改要求…',
  addNote: '添加备注',
  moveTo: '转为「{state}」',
  noActions: '您可查看此任务，处理由负责人或其上级进行。',
  pick: '在地图或列表中选择一项任务',
  loading: '加载中…',
  empty: '暂无督办任务',
  emptyMap: '当前范围内没有督办任务',
  saved: '已保存',
  errConflict: '任务已被他人更新或当前状态不允许此操作，已刷新，请重试。',
  errForbidden: '您无权处理此任务。',
  errRole: '督办工作台供监督员和管理员使用。',
  errNotFound: '未找到该任务，或不在您的辖区内。',
  errInvalid: '填写内容有误，请检查后重试。',
  errGeneric: '操作失败，请稍后重试。',
  openUnit: '单位详情',
  origin_rule: '规则生成',
  origin_manual: '人工创建',
  legendOverdue: '逾期',
  legendPending: '待办',
  legendDone: '已办结',
  by: '{name}',
  system: '系统',
};
type Key = keyof typeof zh;

const en: Record<Key, string> = {
  title: 'Supervision workspace',
  mine: 'My tasks',
  all: 'All in my jurisdiction',
  pending: 'Pending',
  finished: 'Finished',
  everything: 'All',
  total: '{n} tasks',
  overdueCount: '{n} overdue',
  unit: 'Unit',
  reason: 'Reason',
  state: 'State',
  due: 'Deadline',
  assignee: 'Assignee',
  unassigned: 'Unassigned',
  overdue: 'Overdue',
  escalated: 'Escalated to {name}',
  region: 'District',
  evidence: 'Evidence',
  alarms: 'Alarms',
  history: 'History',
  note: 'Note',
  notePlaceholder: 'What was done, who was called, what must be fixed…',
  addNote: 'Add note',
  moveTo: 'Move to "{state}"',
  noActions: 'You can read this task; the assignee or their chief handles it.',
  pick: 'Pick a task on the map or in the list',
  loading: 'Loading…',
  empty: 'No follow-up tasks',
  emptyMap: 'No follow-up tasks in this view',
  saved: 'Saved',
  errConflict: 'The task changed meanwhile or cannot make this move; it was reloaded, try again.',
  errForbidden: 'You may not act on this task.',
  errRole: 'The supervision workspace is for supervisors and admins.',
  errNotFound: 'Task not found, or not in your jurisdiction.',
  errInvalid: 'Something in the form is not valid; check it and try again.',
  errGeneric: 'The request failed; try again later.',
  openUnit: 'Unit details',
  origin_rule: 'By rule',
  origin_manual: 'By hand',
  legendOverdue: 'Overdue',
  legendPending: 'Pending',
  legendDone: 'Finished',
  by: '{name}',
  system: 'System',
};

export const s = defineMessages<Key>(zh, en);

const reason = defineMessages<TaskReason>(
  {
    host_offline: '主机关机未恢复',
    off_duty: '值班脱岗未整改',
    fault_overdue: '故障逾期未修复',
    repeated_false_alarms: '误报频繁',
    points_disabled: '点位长期屏蔽',
    drawings_overdue: '图纸逾期未补录',
    manual: '人工督办',
  },
  {
    host_offline: 'Host offline, unresolved',
    off_duty: 'Off duty, not rectified',
    fault_overdue: 'Fault repair overdue',
    repeated_false_alarms: 'Repeated false alarms',
    points_disabled: 'Points disabled too long',
    drawings_overdue: 'Drawings overdue',
    manual: 'Follow-up by hand',
  },
);
export const reasonName = (locale: string, r: TaskReason) => reason(locale, r);

/** The rule's figures in a sentence. */
const evidence = defineMessages<Exclude<TaskReason, 'manual'>>(
  {
    host_offline: '主机关机/离线已 {openHours} 小时未恢复（期限 {deadlineHours} 小时），涉及报警 {alarms} 条',
    off_duty: '值班脱岗已 {openHours} 小时未整改（期限 {deadlineHours} 小时），涉及报警 {alarms} 条',
    fault_overdue: '{alarms} 条故障超过 {deadlineHours} 小时未修复（最久 {openHours} 小时）',
    repeated_false_alarms: '近 {windowDays} 天核实误报 {falseAlarms} 次（阈值 {threshold} 次）',
    points_disabled: '{points} 个点位屏蔽超过 {thresholdDays} 天（最久 {disabledDays} 天）',
    drawings_overdue: '点位图纸已逾期 {daysLate} 天未补录',
  },
  {
    host_offline: 'Host offline for {openHours} h (deadline {deadlineHours} h), {alarms} alarm(s)',
    off_duty: 'Off duty for {openHours} h without rectification (deadline {deadlineHours} h), {alarms} alarm(s)',
    fault_overdue: '{alarms} fault(s) unrepaired past {deadlineHours} h (oldest {openHours} h)',
    repeated_false_alarms: '{falseAlarms} verified false alarms in {windowDays} days (threshold {threshold})',
    points_disabled: '{points} point(s) disabled beyond {thresholdDays} days (longest {disabledDays} days)',
    drawings_overdue: 'Point drawings {daysLate} day(s) overdue',
  },
);
export function evidenceText(locale: string, r: TaskReason, figures: Record<string, number>, detail: string): string {
  return r === 'manual' ? detail : evidence(locale, r, figures);
}

const state = defineMessages<TaskState>(
  { open: '待处理', in_progress: '处理中', checked: '已核查', rectified: '已整改', case_opened: '已立案', closed: '已办结' },
  { open: 'Open', in_progress: 'In progress', checked: 'Checked', rectified: 'Rectified', case_opened: 'Case opened', closed: 'Closed' },
);
export const stateName = (locale: string, st: TaskState) => state(locale, st);

const step = defineMessages<TaskStepDto['kind']>(
  { created: '创建', transition: '状态变更', note: '备注', escalated: '逾期上报', reassigned: '转交' },
  { created: 'Created', transition: 'State change', note: 'Note', escalated: 'Escalated (overdue)', reassigned: 'Reassigned' },
);
export const stepName = (locale: string, k: TaskStepDto['kind']) => step(locale, k);
