// The acceptance record as a printable Chinese form (消防设施联网验收检查记录): self-contained
// HTML (no scripts, no fetches) that the shared PdfRenderer prints to A4; and the structured
// export for the fire supervision management system (消防监督管理系统) behind an adapter.
import { shanghaiDate, type AcceptanceRecord, type AcceptanceSignal } from '@firelink/common';

const SIGNAL_ZH: Record<AcceptanceSignal, string> = {
  fire: '火灾报警信号',
  fault: '故障信号',
  supervisory: '监管信号',
  feedback: '联动反馈信号',
  dutyCheck: '查岗应答',
};

function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** yyyy-mm-dd hh:mm:ss in Asia/Shanghai. */
function shanghaiTime(isoText: string | null): string {
  if (!isoText) return '—';
  const d = new Date(isoText);
  return `${shanghaiDate(d)} ${new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(11, 19)}`;
}

export function acceptanceHtml(r: AcceptanceRecord): string {
  const rows = (Object.keys(SIGNAL_ZH) as AcceptanceSignal[])
    .map((k) => {
      const s = r.signals[k];
      return `<tr><td>${SIGNAL_ZH[k]}</td><td class="c">${s.received ? '✔ 已接收' : '✘ 未接收'}</td><td class="c">${s.count}</td><td>${esc(shanghaiTime(s.firstAt))}</td><td class="ids">${esc(s.eventIds.join('、') || '—')}</td></tr>`;
    })
    .join('');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>验收检查记录 ${r.id}</title>
<style>
body { font-family: 'Noto Sans CJK SC', 'Noto Sans SC', sans-serif; font-size: 12pt; color: #000; margin: 0; }
h1 { text-align: center; font-size: 18pt; margin: 0 0 4mm; letter-spacing: 2pt; }
.no { text-align: right; font-size: 10pt; margin-bottom: 3mm; }
table { width: 100%; border-collapse: collapse; margin-bottom: 4mm; }
td, th { border: 1px solid #000; padding: 2mm 2.5mm; vertical-align: top; }
th { background: #eee; font-weight: bold; }
td.k { width: 24%; background: #f6f6f6; }
td.c { text-align: center; }
td.ids { font-size: 9pt; word-break: break-all; }
.verdict { font-size: 14pt; font-weight: bold; }
.sign { height: 18mm; }
.foot { font-size: 9pt; color: #333; }
</style></head><body>
<h1>消防设施运行状态信息传输验收检查记录</h1>
<div class="no">记录编号：YS-${String(r.id).padStart(6, '0')}</div>
<table>
<tr><td class="k">联网单位</td><td colspan="3">${esc(r.unitName)}</td></tr>
<tr><td class="k">传输装置地址</td><td>${esc(r.deviceAddress)}</td><td class="k">测试时段</td><td>${esc(shanghaiTime(r.windowFrom))} 至 ${esc(shanghaiTime(r.windowTo))}</td></tr>
<tr><td class="k">采集维保单位</td><td>${esc(r.collectingAgency ?? '—')}</td><td class="k">检测机构</td><td>${esc(r.testingAgency ?? '—')}</td></tr>
</table>
<table>
<tr><th>检查项目</th><th>监控中心接收情况</th><th>信号数</th><th>首次接收时间</th><th>事件编号</th></tr>
${rows}
</table>
<table>
<tr><td class="k">验收结论</td><td class="verdict">${r.result === 'pass' ? '合格' : '不合格'}</td></tr>
<tr><td class="k">备注</td><td>${esc(r.notes || '—')}</td></tr>
<tr><td class="k">检查人（签字）</td><td class="sign">${esc(r.inspectorName)}<br>${esc(shanghaiTime(r.signedAt))}</td></tr>
</table>
<div class="foot">本记录由监控中心依据测试时段内实际接收到的设备信号自动填写，检查人签字确认。采集该单位信息的维保单位不得验收本单位。</div>
</body></html>`;
}

/**
 * Where acceptance records go for the fire supervision management system. Today a file
 * (JSON, UTF-8) handed to the caller; a system interface would implement the same method.
 */
export interface SupervisionSystemExport {
  readonly format: string;
  render(r: AcceptanceRecord): { fileName: string; contentType: string; body: Buffer };
}

export const fileExport: SupervisionSystemExport = {
  format: 'firelink-acceptance/1',
  render(r) {
    const doc = {
      format: 'firelink-acceptance/1',
      记录编号: `YS-${String(r.id).padStart(6, '0')}`,
      联网单位: { 编号: r.unitId, 名称: r.unitName },
      传输装置: { 编号: r.deviceId, 地址: r.deviceAddress },
      测试时段: { 开始: r.windowFrom, 结束: r.windowTo },
      信号: Object.fromEntries((Object.keys(SIGNAL_ZH) as AcceptanceSignal[]).map((k) => [SIGNAL_ZH[k], { 已接收: r.signals[k].received, 数量: r.signals[k].count, 首次接收: r.signals[k].firstAt, 事件编号: r.signals[k].eventIds }])),
      验收结论: r.result === 'pass' ? '合格' : '不合格',
      采集维保单位: r.collectingAgency,
      检测机构: r.testingAgency,
      检查人: r.inspectorName,
      签字时间: r.signedAt,
      备注: r.notes,
    };
    return { fileName: `acceptance-${r.id}.json`, contentType: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify(doc, null, 2), 'utf8') };
  },
};
