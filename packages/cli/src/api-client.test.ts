import { NonRetryableError, RetryableError } from '@minetrace/shared';
import { describe, expect, it } from 'vitest';
import { refusalError, refusalOf, remoteApi } from './api-client.js';

describe('the remote server client', () => {
  it('reads the server from MINETRACE_API_URL, with an optional key', () => {
    expect(remoteApi({})).toBeNull();
    expect(remoteApi({ MINETRACE_API_URL: '  ' })).toBeNull();
    const api = remoteApi({ MINETRACE_API_URL: 'http://127.0.0.1:4000/', MINETRACE_API_KEY: 'mtk_x' });
    expect(api?.url.href).toBe('http://127.0.0.1:4000/');
    expect(api?.key).toBe('mtk_x');
    expect(remoteApi({ MINETRACE_API_URL: 'http://127.0.0.1:4000', MINETRACE_API_KEY: ' ' })?.key).toBeNull();
    expect(() => remoteApi({ MINETRACE_API_URL: 'not a url' })).toThrow(
      "MINETRACE_API_URL is not a URL: 'not a url'",
    );
    expect(() => remoteApi({ MINETRACE_API_URL: 'ftp://host' })).toThrow('must be http or https');
  });

  it('finds the refusal in GraphQL errors, in the upload routes’ {error} and in a bare status', () => {
    expect(refusalOf(200, { data: { tip: null } })).toBeNull();
    expect(
      refusalOf(200, {
        errors: [
          {
            message: '2 problem(s) in the csv file, nothing imported',
            extensions: { code: 'BAD_USER_INPUT', problems: [{ at: 'line 5', message: 'bad' }, { at: 7 }] },
          },
        ],
      }),
    ).toEqual({
      status: 200,
      code: 'BAD_USER_INPUT',
      message: '2 problem(s) in the csv file, nothing imported',
      problems: [{ at: 'line 5', message: 'bad' }],
    });
    expect(
      refusalOf(403, { error: { code: 'FORBIDDEN', message: 'importTags needs the admin role' } }),
    ).toEqual({ status: 403, code: 'FORBIDDEN', message: 'importTags needs the admin role', problems: [] });
    expect(refusalOf(404, { error: 'no job 7' })).toMatchObject({ code: null, message: 'no job 7' });
    expect(refusalOf(502, { whatever: true })).toMatchObject({ code: null, message: 'HTTP 502' });
  });

  it('says what was refused, where and what to change; retryable only when waiting may help', () => {
    const context = { origin: 'http://h:4000', what: 'the tag import', key: null };
    const unauthenticated = refusalError(
      { status: 401, code: 'UNAUTHENTICATED', message: 'an API key is required', problems: [] },
      context,
    );
    expect(unauthenticated).toBeInstanceOf(NonRetryableError);
    expect(unauthenticated.message).toBe(
      'http://h:4000 refused the tag import: an API key is required (set MINETRACE_API_KEY to a key of that server)',
    );
    const forbidden = refusalError(
      { status: 403, code: 'FORBIDDEN', message: 'importTags needs the admin role', problems: [] },
      { ...context, key: 'mtk_x' },
    );
    expect(forbidden.message).toMatch(/needs the admin role \(MINETRACE_API_KEY has another role/);
    const problems = refusalError(
      {
        status: 400,
        code: 'BAD_USER_INPUT',
        message: '1 problem(s) in the csv file, nothing imported',
        problems: [{ at: 'line 2', message: 'invalid address "x"' }],
      },
      context,
    );
    expect(problems.message).toBe(
      'http://h:4000 refused the tag import: 1 problem(s) in the csv file, nothing imported:\nline 2: invalid address "x"',
    );
    expect(
      refusalError({ status: 429, code: 'RATE_LIMITED', message: 'retry in 3 s', problems: [] }, context),
    ).toBeInstanceOf(RetryableError);
    expect(
      refusalError(
        { status: 503, code: 'INTERNAL_SERVER_ERROR', message: 'retry later', problems: [] },
        context,
      ),
    ).toBeInstanceOf(RetryableError);
  });
});
