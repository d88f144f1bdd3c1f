import { describe, expect, it } from 'vitest';
import { ARCHIVE_EXTENSIONS, IMAGE_EXTENSIONS, partitionByExtension } from './files';
import { fieldOfError } from './field-of-error';
import { checkJavaForGuest, checkProactiveForGuest } from './compat';

describe('files', () => {
  it('accepts by extension, case-insensitively, keeps order', () => {
    const r = partitionByExtension([{ name: 'a.RAW' }, { name: 'b.iso' }, { name: 'c.vhd' }, { name: 'README' }], IMAGE_EXTENSIONS, 'a disk image');
    expect(r.accepted.map((f) => f.name)).toEqual(['a.RAW', 'c.vhd']);
    expect(r.refused.map((f) => f.reason)).toEqual([expect.stringMatching(/^\.iso is not a disk image/), expect.stringMatching(/^\(no extension\)/)]);
    expect(partitionByExtension([{ name: 'jre.tar.xz' }, { name: 'x.gz' }], ARCHIVE_EXTENSIONS, 'an archive').accepted).toHaveLength(1);
  });
});

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

describe('checkProactiveForGuest', () => {
  const pa = (scripts: { startScript?: string; windowsStartScript?: string }, generation: 'modern' | 'legacy' = 'modern') =>
    ({ archivePath: '/dl/node.zip', generation, version: '13.0.0', ...scripts });
  it('refuses only an archive without the start script of the guest\'s OS', () => {
    const linux = { osType: 'linux', arch: 'x86_64' };
    const windows = { osType: 'windows', arch: 'x86_64' };
    expect(checkProactiveForGuest(pa({ windowsStartScript: 'bin/proactive-node.bat' }), windows)).toEqual({ warnings: [] });
    expect(checkProactiveForGuest(pa({ startScript: 'bin/proactive-node' }), linux)).toEqual({ warnings: [] });
    expect(checkProactiveForGuest(pa({ windowsStartScript: 'bin/proactive-node.bat' }), linux).error?.fix).toMatch(/activeeon_enterprise-node-linux-x64-13\.0\.0\.zip/);
    expect(checkProactiveForGuest(pa({ startScript: 'bin/unix/rm-start-node' }, 'legacy'), windows).error?.message)
      .toBe('node.zip is the ProActive node distribution for Linux: it has bin/unix/rm-start-node but not bin\\windows\\rm-start-node.bat, the start script the node needs in this Windows guest.');
  });
});
