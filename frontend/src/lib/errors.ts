// A failed request in the user's language. Every server error carries a stable code
// (`error`: kernel/errors.ts DomainError codes, http/app.ts): the Chinese screen shows the
// code's translation and never the server's English message; the English screen shows the
// server's message, which says how to fix the request.
import { ApiError } from '../api/http.ts';
import { defineMessages, type Locale } from './i18n.ts';

const zh = {
  unauthorized: '登录已失效，请重新登录。',
  invalid_credentials: '用户名或密码错误。',
  wrong_password: '当前密码不正确。',
  too_many_attempts: '尝试次数过多，请稍后再试。',
  forbidden: '无权执行此操作：超出您的岗位或辖区。',
  csrf: '页面会话校验失败，请刷新页面后重试。',
  read_only_session: '大屏会话为只读，不能修改数据。',
  invalid_request: '提交的内容有误，请检查后重试。',
  invalid_request_fields: '提交的内容有误（{fields}），请检查后重试。',
  not_found: '未找到该记录，或不在您的辖区内。',
  conflict: '数据已被他人修改或状态已变化，请刷新后重试。',
  incomplete: '资料尚不完整，暂不能进行此操作。',
  too_large: '文件或请求过大。',
  payload_too_large: '文件或请求过大。',
  too_many_rows: '行数超过上限，请分批导入。',
  invalid_json: '请求格式错误，请刷新页面后重试。',
  bad_encoding: '请求格式错误，请刷新页面后重试。',
  unsupported_encoding: '请求格式错误，请刷新页面后重试。',
  busy: '服务繁忙，请稍后再试。',
  unavailable: '服务暂不可用，请稍后再试。',
  pdf_busy: 'PDF 正在为他人生成，请稍后再试。',
  pdf_failed: 'PDF 生成失败，请稍后再试或下载网页版报告。',
  pdf_unavailable: '本服务器未安装 PDF 生成组件，请下载网页版报告。',
  rate_limited: '请求过于频繁，请稍后再试。',
  duty_check_pending: '该单位的查岗尚在等待应答，请待应答或超时后再查岗。',
  duty_check_rate_limited: '您查岗过于频繁，请一分钟后再试。',
  timeout: '请求超时，请重试。',
  bad_response: '服务器返回的数据与本页面版本不符，请刷新页面。',
  network: '无法连接服务器，请检查网络后重试。',
  unknown: '操作失败（错误代码 {code}），请稍后重试或联系管理员。',
} as const;
type Key = keyof typeof zh;
const en: Record<Key, string> = {
  unauthorized: 'Your session has ended: log in again.',
  invalid_credentials: 'Wrong username or password.',
  wrong_password: 'The current password is wrong.',
  too_many_attempts: 'Too many attempts: try again later.',
  forbidden: 'Not allowed: outside your role or jurisdiction.',
  csrf: 'The page session check failed: reload the page and try again.',
  read_only_session: 'Wall-display sessions are read-only.',
  invalid_request: 'The request has an error: check it and try again.',
  invalid_request_fields: 'The request has an error ({fields}): check it and try again.',
  not_found: 'Not found, or outside your jurisdiction.',
  conflict: 'Someone else changed this, or its state moved on: reload and try again.',
  incomplete: 'The records are not complete yet.',
  too_large: 'The file or request is too large.',
  payload_too_large: 'The file or request is too large.',
  too_many_rows: 'Too many rows: import in parts.',
  invalid_json: 'Malformed request: reload the page and try again.',
  bad_encoding: 'Malformed request: reload the page and try again.',
  unsupported_encoding: 'Malformed request: reload the page and try again.',
  busy: 'The server is busy: try again later.',
  unavailable: 'The service is unavailable: try again later.',
  pdf_busy: 'A PDF is being made for someone else: try again shortly.',
  pdf_failed: 'The PDF could not be made: try again or download the web report.',
  pdf_unavailable: 'This server cannot make PDFs: download the web report.',
  rate_limited: 'Too many requests: try again later.',
  duty_check_pending: 'A duty check of this unit is still waiting for its answer: check again once it is answered or missed.',
  duty_check_rate_limited: 'You have started too many duty checks: try again in a minute.',
  timeout: 'The request timed out: try again.',
  bad_response: 'The server answered in a form this page does not know: reload the page.',
  network: 'Cannot reach the server: check the network and try again.',
  unknown: 'The request failed (code {code}): try again later or ask an administrator.',
};
const text = defineMessages<Key>(zh, en);

/**
 * Field names the Chinese screen can say (the request bodies' and queries' field names): a
 * refused field outside this table is not named, so no English name reaches the zh-CN screen.
 */
const FIELD_ZH: Record<string, string> = {
  name: '名称', displayName: '姓名', username: '用户名', password: '密码', newPassword: '新密码', role: '角色',
  phone: '电话', contacts: '联系人', address: '地址', category: '类别', floor: '楼层', floors: '楼层',
  note: '备注', notes: '备注', text: '内容', detail: '说明', label: '名称', description: '说明',
  region: '辖区', regionAdcode: '辖区', unit: '单位', unitId: '单位', stationId: '消防站', stationIds: '消防站',
  from: '开始时间', to: '结束时间', at: '时间', date: '日期', deadlineAt: '期限', inspectedOn: '检查日期',
  lon: '经度', lat: '纬度', lonLatWgs84: '坐标', verdict: '核实结论', cause: '原因', call: '通话记录',
  number: '电话号码', answeredBy: '接听人', outcome: '通话结果', durationS: '通话时长', result: '结论',
  items: '检查项', status: '状态', kind: '类型', deviceAddress: '设备地址', ttlHours: '有效期',
  shiftStart: '班次开始', shiftEnd: '班次结束', userId: '人员', enabled: '启用', transform: '配准参数',
};

/**
 * Field names of a refused request, from the server's zod issues ('contacts.0.phone' →
 * 'contacts.1.phone'; zh-CN: '联系人.1.电话'); null when there are none, or (zh-CN) when one
 * has no Chinese name.
 */
function fieldsOf(body: unknown, locale: Locale): string | null {
  const issues = (body as { issues?: Array<{ path?: unknown[] }> } | null)?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return null;
  const say = (p: unknown): string | null => (typeof p === 'number' ? String(p + 1) : locale === 'en' ? String(p) : (FIELD_ZH[String(p)] ?? null));
  const names: string[] = [];
  for (const i of issues) {
    if (!Array.isArray(i.path) || i.path.length === 0) continue;
    const parts = i.path.map(say);
    if (parts.some((x) => x === null)) return null;
    names.push(parts.join('.'));
  }
  const distinct = [...new Set(names)];
  return distinct.length ? distinct.slice(0, 4).join(locale === 'en' ? ', ' : '、') : null;
}

/** The code an error carries: the server's `error`, or what went wrong in the browser. */
export function errorCode(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 408) return 'timeout';
    if (err.status === 429 && !(err.code in zh)) return 'rate_limited';
    return err.code;
  }
  if (err instanceof TypeError) return 'network';
  return 'unknown';
}

/**
 * What to show for a failed request. zh-CN: the code's translation only (server messages are
 * English); en: the server's message when it sent one, else the code's text.
 */
export function errorText(locale: Locale, err: unknown): string {
  const code = errorCode(err);
  if (locale === 'en' && err instanceof ApiError && err.body && typeof (err.body as { message?: unknown }).message === 'string') return err.message;
  if (code === 'invalid_request') {
    const f = fieldsOf(err instanceof ApiError ? err.body : null, locale);
    if (f) return text(locale, 'invalid_request_fields', { fields: f });
  }
  if (code in zh) return text(locale, code as Key);
  if (err instanceof ApiError && /^http_\d+$/.test(code) && err.status >= 500) return text(locale, 'unavailable');
  return text(locale, 'unknown', { code });
}
