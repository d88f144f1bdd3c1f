import { describe, expect, it } from 'vitest';
import { fieldOfError } from './field-of-error';
import { checkJavaForGuest } from './compat';

describe('fieldOfError', () => {
  it('maps engine messages to fields', () => {
    const e = (message: string, fix = '') => fieldOfError({ code: 'SETTING_INVALID', message, fix });
    expect(e('the node source "a b" is not valid')).toBe('nodeSource');
    expect(e("the guest's hostname \"x_\" cannot be used as the node name")).toBe('nodeName');
    expect(e('3.x nodes have no workers option')).toBe('workers');
    expect(e('the service user "Root!" is not a valid user name')).toBe('serviceUser');
    expect(e('http://x: that is the web portal, not the Resource Manager URL')).toBe('rmUrl');
    expect(fieldOfError({ code: 'CREDENTIALS_UNREADABLE', message: 'could not read /x', fix: '' })).toBe('credentialsFile');
    expect(e('the install directory "/" is the root')).toBeUndefined();
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
