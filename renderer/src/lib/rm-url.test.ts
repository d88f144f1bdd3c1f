import { describe, expect, it } from 'vitest';
import { checkRmUrl } from './rm-url';

describe('checkRmUrl', () => {
  it('accepts the four protocols', () => {
    for (const u of ['pnp://rm.lab', 'pnp://rm.lab:64738/', 'pnps://10.0.0.5:64739', 'pamr://0', 'rmi://[2001:db8::1]:1099', 'PNP://RM.LAB']) {
      expect(checkRmUrl(u), u).toMatchObject({ ok: true });
    }
    expect(checkRmUrl('pamr://0').protocol).toBe('pamr');
  });
  it('refuses http with the portal message and the fix', () => {
    expect(checkRmUrl('https://try.activeeon.com:8443')).toMatchObject({ ok: false, message: expect.stringMatching(/web portal/), fix: expect.stringMatching(/pnp:\/\/HOST:64738/) });
  });
  it('refuses the classic mistakes', () => {
    expect(checkRmUrl('rm.lab:64738').message).toMatch(/no protocol/);
    expect(checkRmUrl('ftp://rm').message).toMatch(/unknown protocol/);
    expect(checkRmUrl('pamr://router.lab').message).toMatch(/agent id/);
    expect(checkRmUrl('pnp://999.1.1.1').message).toMatch(/IPv4/);
    expect(checkRmUrl('pnp://rm.lab:70000').message).toMatch(/port/);
    expect(checkRmUrl('pnp://rm lab').message).toMatch(/contains a space/);
    expect(checkRmUrl('pnp://rm\nExecStartPre=/bin/sh').message).toMatch(/contains a line break \(U\+000A\)/);
    expect(checkRmUrl('pnp://rm\tlab').message).toMatch(/contains a control character \(U\+0009, a tab\)/);
    expect(checkRmUrl('pnp://rm.lab/rest').message).toMatch(/after the host/);
    expect(checkRmUrl('').ok).toBe(false);
  });
});
