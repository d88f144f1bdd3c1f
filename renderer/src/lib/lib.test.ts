import { describe, expect, it } from 'vitest';
import { fieldOfError } from './field-of-error';
import { checkJavaForGuest } from './compat';

describe('fieldOfError', () => {
  it('takes the field the engine names, never the wording', () => {
    const e = (field: string | undefined, message = 'x') => fieldOfError({ code: 'SETTING_INVALID', message, fix: '', ...(field ? { field } : {}) });
    expect(e('nodeSource')).toBe('nodeSource');
    expect(e('settings.workers')).toBe('workers');
    expect(e('settings.jvmOptions.2')).toBe('jvmOptions');
    expect(e('credentialsFile')).toBe('credentialsFile');
    expect(e('installDir')).toBeUndefined();
    expect(e(undefined, 'the node source "a b" is not valid')).toBeUndefined();
  });
});

describe('checkJavaForGuest', () => {
  const g = { osType: 'linux', arch: 'x86_64' };
  it('refuses a wrong OS or CPU, warns on i386 and unknowns', () => {
    expect(checkJavaForGuest({ os: 'windows', arch: 'x86_64' }, g).error?.message).toMatch(/Windows/);
    expect(checkJavaForGuest({ os: 'linux', arch: 'aarch64' }, g).error?.message).toMatch(/aarch64/);
    expect(checkJavaForGuest({ os: 'linux', arch: 'i386' }, g)).toEqual({ warnings: [expect.stringMatching(/32-bit/)] });
    expect(checkJavaForGuest({ os: 'unknown', arch: 'amd64' }, g).warnings).toHaveLength(1);
    expect(checkJavaForGuest({ os: 'linux', arch: 'x64' }, g)).toEqual({ warnings: [] });
  });
});
