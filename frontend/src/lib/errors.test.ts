// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { ApiError } from '../api/http.ts';
import { errorText } from './errors.ts';

const refused = (...paths: unknown[][]) => new ApiError(400, 'invalid_request', 'contacts.0.phone: too short', { error: 'invalid_request', issues: paths.map((path) => ({ path })) });

describe('errorText', () => {
  it('names refused fields in Chinese on the zh-CN screen, in the request\'s words in English', () => {
    assert.equal(errorText('zh-CN', refused(['contacts', 0, 'phone'], ['from'])), '提交的内容有误（联系人.1.电话、开始时间），请检查后重试。');
    assert.equal(errorText('en', new ApiError(400, 'invalid_request', '', { issues: [{ path: ['contacts', 0, 'phone'] }] })), 'The request has an error (contacts.1.phone): check it and try again.');
  });

  it('never puts an English field name on the zh-CN screen: a field without a Chinese name is not named', () => {
    const text = errorText('zh-CN', refused(['from'], ['someInternalField']));
    assert.equal(text, '提交的内容有误，请检查后重试。');
    assert.doesNotMatch(text, /[A-Za-z]/);
  });
});
