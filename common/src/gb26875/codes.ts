// GB/T 26875.3-2011 code tables (system types, component types, analog types, status and
// operation bits), with zh-CN and English names. Shared by ingest (decode, normalize) and
// the frontend (labels). Numbers are the wire values.

export interface CodeName {
  zh: string;
  en: string;
}

/** Facility system types (系统类型标志). 128–255 are vendor-defined. */
export const SYSTEM_TYPES: Record<number, CodeName> = {
  0: { zh: '通用', en: 'Generic' },
  1: { zh: '火灾报警系统', en: 'Fire alarm system' },
  10: { zh: '消防联动控制器', en: 'Linkage controller' },
  11: { zh: '消火栓系统', en: 'Hydrant system' },
  12: { zh: '自动喷水灭火系统', en: 'Sprinkler system' },
  13: { zh: '气体灭火系统', en: 'Gas extinguishing system' },
  14: { zh: '水喷雾灭火系统(泵启动方式)', en: 'Water spray (pump)' },
  15: { zh: '水喷雾灭火系统(压力容器启动方式)', en: 'Water spray (pressure vessel)' },
  16: { zh: '泡沫灭火系统', en: 'Foam extinguishing system' },
  17: { zh: '干粉灭火系统', en: 'Dry powder extinguishing system' },
  18: { zh: '防烟排烟系统', en: 'Smoke control system' },
  19: { zh: '防火门及卷帘系统', en: 'Fire doors and shutters' },
  20: { zh: '消防电梯', en: 'Fire elevator' },
  21: { zh: '消防应急广播', en: 'Emergency broadcast' },
  22: { zh: '消防应急照明和疏散指示系统', en: 'Emergency lighting and evacuation' },
  23: { zh: '消防电源', en: 'Fire power supply' },
  24: { zh: '消防电话', en: 'Fire telephone' },
};

/** Component types (部件类型). 128–255 are vendor-defined. */
export const COMPONENT_TYPES: Record<number, CodeName> = {
  0: { zh: '通用', en: 'Generic' },
  1: { zh: '火灾报警控制器', en: 'Fire alarm controller' },
  10: { zh: '可燃气体探测器', en: 'Combustible gas detector' },
  11: { zh: '点型可燃气体探测器', en: 'Point combustible gas detector' },
  12: { zh: '独立式可燃气体探测器', en: 'Standalone combustible gas detector' },
  13: { zh: '线型可燃气体探测器', en: 'Line combustible gas detector' },
  16: { zh: '电气火灾监控报警器', en: 'Electrical fire monitoring unit' },
  17: { zh: '剩余电流式电气火灾监控探测器', en: 'Residual current electrical fire detector' },
  18: { zh: '测温式电气火灾监控探测器', en: 'Temperature electrical fire detector' },
  21: { zh: '探测回路', en: 'Detection loop' },
  22: { zh: '火灾显示盘', en: 'Fire display panel' },
  23: { zh: '手动火灾报警按钮', en: 'Manual call point' },
  24: { zh: '消火栓按钮', en: 'Hydrant button' },
  25: { zh: '火灾探测器', en: 'Fire detector' },
  30: { zh: '感温火灾探测器', en: 'Heat detector' },
  31: { zh: '点型感温火灾探测器', en: 'Point heat detector' },
  32: { zh: '点型感温火灾探测器(S型)', en: 'Point heat detector (S)' },
  33: { zh: '点型感温火灾探测器(R型)', en: 'Point heat detector (R)' },
  34: { zh: '线型感温火灾探测器', en: 'Line heat detector' },
  35: { zh: '线型感温火灾探测器(S型)', en: 'Line heat detector (S)' },
  36: { zh: '线型感温火灾探测器(R型)', en: 'Line heat detector (R)' },
  37: { zh: '光纤感温火灾探测器', en: 'Optical fibre heat detector' },
  40: { zh: '感烟火灾探测器', en: 'Smoke detector' },
  41: { zh: '点型离子感烟火灾探测器', en: 'Ionisation smoke detector' },
  42: { zh: '点型光电感烟火灾探测器', en: 'Photoelectric smoke detector' },
  43: { zh: '线型光束感烟火灾探测器', en: 'Beam smoke detector' },
  44: { zh: '吸气式感烟火灾探测器', en: 'Aspirating smoke detector' },
  50: { zh: '复合式火灾探测器', en: 'Multi-sensor detector' },
  51: { zh: '复合式感烟感温火灾探测器', en: 'Smoke-heat detector' },
  52: { zh: '复合式感光感温火灾探测器', en: 'Flame-heat detector' },
  53: { zh: '复合式感光感烟火灾探测器', en: 'Flame-smoke detector' },
  61: { zh: '紫外火焰探测器', en: 'UV flame detector' },
  62: { zh: '红外火焰探测器', en: 'IR flame detector' },
  69: { zh: '感光火灾探测器', en: 'Light detector' },
  74: { zh: '气体探测器', en: 'Gas detector' },
  78: { zh: '图像摄像方式火灾探测器', en: 'Image fire detector' },
  79: { zh: '感声火灾探测器', en: 'Sound fire detector' },
  81: { zh: '气体灭火控制器', en: 'Gas extinguishing controller' },
  82: { zh: '消防电气控制装置', en: 'Electrical control device' },
  83: { zh: '消防控制室图形显示装置', en: 'Graphic display' },
  84: { zh: '模块', en: 'Module' },
  85: { zh: '输入模块', en: 'Input module' },
  86: { zh: '输出模块', en: 'Output module' },
  87: { zh: '输入/输出模块', en: 'I/O module' },
  88: { zh: '中继模块', en: 'Repeater module' },
  91: { zh: '消防水泵', en: 'Fire pump' },
  92: { zh: '消防水箱', en: 'Water tank' },
  95: { zh: '喷淋泵', en: 'Sprinkler pump' },
  96: { zh: '水流指示器', en: 'Water flow indicator' },
  97: { zh: '信号阀', en: 'Signal valve' },
  98: { zh: '报警阀', en: 'Alarm valve' },
  99: { zh: '压力开关', en: 'Pressure switch' },
  101: { zh: '阀驱动装置', en: 'Valve driver' },
  102: { zh: '防火门', en: 'Fire door' },
  103: { zh: '防火阀', en: 'Fire damper' },
  104: { zh: '通风空调', en: 'HVAC' },
  105: { zh: '泡沫液泵', en: 'Foam pump' },
  106: { zh: '管网电磁阀', en: 'Pipe solenoid valve' },
  111: { zh: '防烟排烟风机', en: 'Smoke exhaust fan' },
  113: { zh: '排烟防火阀', en: 'Smoke exhaust damper' },
  114: { zh: '常闭送风口', en: 'Normally-closed air inlet' },
  115: { zh: '排烟口', en: 'Smoke vent' },
  116: { zh: '电控挡烟垂壁', en: 'Smoke curtain' },
  117: { zh: '防火卷帘控制器', en: 'Shutter controller' },
  118: { zh: '防火门监控器', en: 'Fire door monitor' },
  121: { zh: '警报装置', en: 'Alarm sounder' },
};

/** Analog value types (模拟量类型) with their unit and scale (wire value × scale = unit). */
export const ANALOG_TYPES: Record<number, CodeName & { unit: string; scale: number }> = {
  1: { zh: '事件计数', en: 'Count', unit: '', scale: 1 },
  2: { zh: '高度', en: 'Height', unit: 'm', scale: 0.01 },
  3: { zh: '温度', en: 'Temperature', unit: '°C', scale: 0.1 },
  4: { zh: '压力(MPa)', en: 'Pressure', unit: 'MPa', scale: 0.1 },
  5: { zh: '压力(kPa)', en: 'Pressure', unit: 'kPa', scale: 0.1 },
  6: { zh: '气体浓度', en: 'Gas concentration', unit: '%LEL', scale: 0.1 },
  7: { zh: '时间', en: 'Time', unit: 's', scale: 1 },
  8: { zh: '电压', en: 'Voltage', unit: 'V', scale: 0.1 },
  9: { zh: '电流', en: 'Current', unit: 'A', scale: 0.1 },
  10: { zh: '流量', en: 'Flow', unit: 'L/s', scale: 0.1 },
  11: { zh: '风量', en: 'Air flow', unit: 'm³/min', scale: 0.1 },
  12: { zh: '风速', en: 'Wind speed', unit: 'm/s', scale: 1 },
};

export interface BitName extends CodeName {
  bit: number;
  /** Stable identifier used in JSON (`statusFlags`). */
  name: string;
}

/** Facility system status (type 1), 16 bits. Bit 0: 1 normal / 0 test — field frames send fire as 0x0002, so never drop a fire because bit 0 is clear. */
export const SYSTEM_STATUS_BITS: BitName[] = [
  { bit: 0, name: 'normal', zh: '正常运行', en: 'Normal' },
  { bit: 1, name: 'fire', zh: '火警', en: 'Fire' },
  { bit: 2, name: 'fault', zh: '故障', en: 'Fault' },
  { bit: 3, name: 'disabled', zh: '屏蔽', en: 'Disabled' },
  { bit: 4, name: 'supervisory', zh: '监管', en: 'Supervisory' },
  { bit: 5, name: 'started', zh: '启动', en: 'Started' },
  { bit: 6, name: 'feedback', zh: '反馈', en: 'Feedback' },
  { bit: 7, name: 'delay', zh: '延时状态', en: 'Delay' },
  { bit: 8, name: 'mainsPowerFault', zh: '主电故障', en: 'Mains power fault' },
  { bit: 9, name: 'backupPowerFault', zh: '备电故障', en: 'Backup power fault' },
  { bit: 10, name: 'busFault', zh: '总线故障', en: 'Bus fault' },
  { bit: 11, name: 'manual', zh: '手动状态', en: 'Manual' },
  { bit: 12, name: 'configChanged', zh: '配置改变', en: 'Configuration changed' },
  { bit: 13, name: 'reset', zh: '复位', en: 'Reset' },
];

/** Component status (type 2): bits 0–7 as the system's, bit 8 power fault. */
export const COMPONENT_STATUS_BITS: BitName[] = [
  ...SYSTEM_STATUS_BITS.slice(0, 8),
  { bit: 8, name: 'powerFault', zh: '电源故障', en: 'Power fault' },
];

/** UITD status (type 21), 8 bits. */
export const UITD_STATUS_BITS: BitName[] = [
  { bit: 0, name: 'normal', zh: '正常监视', en: 'Normal' },
  { bit: 1, name: 'fire', zh: '火警', en: 'Fire' },
  { bit: 2, name: 'fault', zh: '故障', en: 'Fault' },
  { bit: 3, name: 'mainsPowerFault', zh: '主电故障', en: 'Mains power fault' },
  { bit: 4, name: 'backupPowerFault', zh: '备电故障', en: 'Backup power fault' },
  { bit: 5, name: 'linkFault', zh: '与监控中心通信信道故障', en: 'Link to center fault' },
  { bit: 6, name: 'lineFault', zh: '监测连接线路故障', en: 'Monitored-line fault' },
];

/** Facility operation flags (type 4). */
export const OPERATION_BITS: BitName[] = [
  { bit: 0, name: 'reset', zh: '复位', en: 'Reset' },
  { bit: 1, name: 'silence', zh: '消音', en: 'Silence' },
  { bit: 2, name: 'manualAlarm', zh: '手动报警', en: 'Manual alarm' },
  { bit: 3, name: 'alarmCleared', zh: '警情消除', en: 'Alarm cleared' },
  { bit: 4, name: 'selfTest', zh: '自检', en: 'Self-test' },
  { bit: 5, name: 'acknowledge', zh: '确认', en: 'Acknowledge' },
  { bit: 6, name: 'test', zh: '试验', en: 'Test' },
];

/** UITD operation flags (type 24): bit 5 is the duty-check answer (查岗应答). */
export const UITD_OPERATION_BITS: BitName[] = OPERATION_BITS.map((b) =>
  b.bit === 5 ? { bit: 5, name: 'dutyCheckAnswer', zh: '查岗应答', en: 'Duty-check answer' } : b,
);

/** Names of the bits set in `value`, in bit order. */
export function flagNames(value: number, bits: readonly BitName[]): string[] {
  return bits.filter((b) => (value >> b.bit) & 1).map((b) => b.name);
}

/** Control-unit commands (命令字节). */
export const GB_COMMANDS: Record<number, CodeName & { name: string }> = {
  1: { name: 'control', zh: '控制命令', en: 'Control' },
  2: { name: 'sendData', zh: '发送数据', en: 'Send data' },
  3: { name: 'confirm', zh: '确认', en: 'Confirm' },
  4: { name: 'request', zh: '请求', en: 'Request' },
  5: { name: 'answer', zh: '应答', en: 'Answer' },
  6: { name: 'deny', zh: '否认', en: 'Deny' },
};

/** Application data unit types (类型标志). */
export const ADU_TYPES = {
  1: { name: 'systemStatus', zh: '上传建筑消防设施系统状态', en: 'Facility system status' },
  2: { name: 'componentStatus', zh: '上传建筑消防设施部件运行状态', en: 'Facility component status' },
  3: { name: 'componentAnalog', zh: '上传建筑消防设施部件模拟量值', en: 'Component analog value' },
  4: { name: 'systemOperation', zh: '上传建筑消防设施操作信息', en: 'Facility operation' },
  5: { name: 'systemSoftwareVersion', zh: '上传建筑消防设施软件版本', en: 'Facility software version' },
  6: { name: 'systemConfig', zh: '上传建筑消防设施系统配置情况', en: 'Facility system configuration' },
  7: { name: 'componentConfig', zh: '上传建筑消防设施部件配置情况', en: 'Facility component configuration' },
  8: { name: 'systemTime', zh: '上传建筑消防设施系统时间', en: 'Facility system time' },
  21: { name: 'uitdStatus', zh: '上传用户信息传输装置运行状态', en: 'UITD status' },
  24: { name: 'uitdOperation', zh: '上传用户信息传输装置操作信息', en: 'UITD operation' },
  25: { name: 'uitdSoftwareVersion', zh: '上传用户信息传输装置软件版本', en: 'UITD software version' },
  26: { name: 'uitdConfig', zh: '上传用户信息传输装置配置情况', en: 'UITD configuration' },
  28: { name: 'uitdTime', zh: '上传用户信息传输装置系统时间', en: 'UITD system time' },
  61: { name: 'readSystemStatus', zh: '读建筑消防设施系统状态', en: 'Read facility system status' },
  62: { name: 'readComponentStatus', zh: '读建筑消防设施部件运行状态', en: 'Read component status' },
  63: { name: 'readComponentAnalog', zh: '读建筑消防设施部件模拟量值', en: 'Read component analog value' },
  64: { name: 'readSystemOperation', zh: '读建筑消防设施操作信息', en: 'Read facility operations' },
  65: { name: 'readSystemSoftwareVersion', zh: '读建筑消防设施软件版本', en: 'Read facility software version' },
  66: { name: 'readSystemConfig', zh: '读建筑消防设施系统配置情况', en: 'Read facility system configuration' },
  67: { name: 'readComponentConfig', zh: '读建筑消防设施部件配置情况', en: 'Read component configuration' },
  68: { name: 'readSystemTime', zh: '读建筑消防设施系统时间', en: 'Read facility system time' },
  81: { name: 'readUitdStatus', zh: '读用户信息传输装置运行状态', en: 'Read UITD status' },
  84: { name: 'readUitdOperation', zh: '读用户信息传输装置操作信息记录', en: 'Read UITD operation records' },
  85: { name: 'readUitdSoftwareVersion', zh: '读用户信息传输装置软件版本', en: 'Read UITD software version' },
  86: { name: 'readUitdConfig', zh: '读用户信息传输装置配置情况', en: 'Read UITD configuration' },
  88: { name: 'readUitdTime', zh: '读用户信息传输装置系统时间', en: 'Read UITD time' },
  89: { name: 'initialise', zh: '初始化用户信息传输装置', en: 'Initialise UITD' },
  90: { name: 'clockSync', zh: '同步用户信息传输装置时钟', en: 'Clock sync' },
  91: { name: 'dutyCheck', zh: '查岗命令', en: 'Duty check' },
} as const satisfies Record<number, CodeName & { name: string }>;

/** An ADU type's name in code (`uitdStatus`, …). */
export type AduTypeName = (typeof ADU_TYPES)[keyof typeof ADU_TYPES]['name'];

/** The 4-byte component address as vendors usually mean it: loop (high 2 bytes) + point (low 2). */
export function splitComponentAddress(address: number): { loop: number; point: number } {
  return { loop: Math.floor(address / 0x10000) & 0xffff, point: address & 0xffff };
}
