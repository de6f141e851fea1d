// Strings of the analyst view (zh-CN default, English switchable), kept in this folder so
// the view stays self-contained.
import type { Metric } from './view-model.ts';

const zh = {
  title: '分析',
  metric: '指标',
  window: '时间范围',
  res: 'H3 分辨率',
  heatmap: 'H3 热力图',
  league: '地区排行',
  trend: '趋势',
  ranking: '重点检查单位',
  connection: '联网接入率',
  region: '地区',
  units: '单位数',
  value: '值',
  numerator: '分子',
  denominator: '分母',
  target: '目标',
  controlRoom: '控制室单位',
  highRisk: '高危单位',
  score: '评分',
  unit: '单位',
  falseAlarms: '误报',
  faults: '故障',
  offDuty: '脱岗',
  offlineH: '关机 h',
  export: '导出',
  report: '报告',
  weekly: '周报',
  monthly: '月报',
  daily: '日报',
  loading: '加载中…',
  empty: '无数据',
  error: '加载失败：{message}',
  d1: '近 1 天',
  d7: '近 7 天',
  d30: '近 30 天',
  d90: '近 90 天',
  d365: '近 1 年',
  scoreHint: '评分 = 30×误报率 + 25×min(故障率/20,1) + 15×min(30 天脱岗/10,1) + 20×关机时间占比 + 10×高危',
};
type Key = keyof typeof zh;
const en: Record<Key, string> = {
  title: 'Analyst',
  metric: 'Metric',
  window: 'Window',
  res: 'H3 resolution',
  heatmap: 'H3 heatmap',
  league: 'Region league table',
  trend: 'Trend',
  ranking: 'Inspection priorities',
  connection: 'Connection rate',
  region: 'Region',
  units: 'Units',
  value: 'Value',
  numerator: 'Numerator',
  denominator: 'Denominator',
  target: 'Target',
  controlRoom: 'Control-room units',
  highRisk: 'High-risk units',
  score: 'Score',
  unit: 'Unit',
  falseAlarms: 'False alarms',
  faults: 'Faults',
  offDuty: 'Off duty',
  offlineH: 'Offline h',
  export: 'Export',
  report: 'Report',
  weekly: 'Weekly',
  monthly: 'Monthly',
  daily: 'Daily',
  loading: 'Loading…',
  empty: 'No data',
  error: 'Failed to load: {message}',
  d1: 'Last day',
  d7: 'Last 7 days',
  d30: 'Last 30 days',
  d90: 'Last 90 days',
  d365: 'Last year',
  scoreHint: 'Score = 30×false-alarm rate + 25×min(fault rate/20,1) + 15×min(off-duty per 30 d/10,1) + 20×offline share + 10×high-risk',
};

export function s(locale: string, key: Key, params: Record<string, string | number> = {}): string {
  const t = (locale === 'en' ? en : zh)[key];
  return t.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`));
}

const METRIC_ZH: Record<Metric, string> = {
  false_alarm_rate: '误报率',
  false_alarm_per_100_points_30d: '误报数 / 100 点 / 30 天',
  fault_rate: '故障率（/100 点/30 天）',
  intact_rate: '完好率',
  host_offline_hours: '主机关机时长（h/单位）',
  off_duty_count: '值班脱岗次数（/单位）',
  duty_answer_s: '查岗应答时间（秒）',
};
const METRIC_EN: Record<Metric, string> = {
  false_alarm_rate: 'False-alarm rate',
  false_alarm_per_100_points_30d: 'False alarms / 100 points / 30 d',
  fault_rate: 'Fault rate (/100 points/30 d)',
  intact_rate: 'Intact rate',
  host_offline_hours: 'Host offline (h/unit)',
  off_duty_count: 'Off-duty count (/unit)',
  duty_answer_s: 'Duty-check answer time (s)',
};
export function metricName(locale: string, m: Metric): string {
  return (locale === 'en' ? METRIC_EN : METRIC_ZH)[m];
}
