// sysvinit guests: an LSB init script in the distribution's init.d, started by S99 links in runlevels
// 2-5 and stopped by K01 links in 0, 1 and 6. The rc directories must already exist (they do on real
// sysvinit guests): the links are not allowed to invent a layout, so a missing one fails the step.
// On Debian with insserv, the service is also registered in .depend.start/.depend.stop (see
// texts/insserv-depend.ts): without that, startpar would ignore the links.

import { fail } from '../../errors';
import type { Expectation, SysvLayout } from '../../types';
import { gf, rootTextFile, type PlanContext, type Section } from '../common';
import { addInsservTarget } from '../texts/insserv-depend';
import type { Flavour } from './flavour';
import { controlScriptFile, supervisorSentences } from './control-script';

const LAYOUTS: Record<SysvLayout, { initDir: string; rcDir: (level: number) => string }> = {
  debian: { initDir: '/etc/init.d', rcDir: (n) => `/etc/rc${n}.d` },
  redhat: { initDir: '/etc/rc.d/init.d', rcDir: (n) => `/etc/rc.d/rc${n}.d` },
};

export function sysvLinks(layout: SysvLayout, serviceName: string): Array<{ path: string; target: string }> {
  const { rcDir } = LAYOUTS[layout];
  const target = `../init.d/${serviceName}`;
  return [
    ...[2, 3, 4, 5].map((n) => ({ path: `${rcDir(n)}/S99${serviceName}`, target })),
    ...[0, 1, 6].map((n) => ({ path: `${rcDir(n)}/K01${serviceName}`, target })),
  ];
}

export const sysvinitFlavour: Flavour = {
  init: 'sysvinit',
  build(ctx: PlanContext): Section {
    const layout = ctx.linux.sysvLayout;
    if (!layout) {
      fail('GUEST_NO_BOOT_HOOK', 'the guest uses sysvinit, but where its init scripts and runlevel links live is unknown',
        'This is a gap in Guestprep\'s inspection of this guest; please report it with the guest\'s distribution.');
    }
    const svc = ctx.settings.serviceName;
    const script = `${LAYOUTS[layout].initDir}/${svc}`;
    const file = controlScriptFile(ctx, script);
    const links = sysvLinks(layout, svc);

    const steps: Section['steps'] = [
      { id: 'install-init-script', title: 'Install the init script', commands: file.commands },
      { id: 'link-runlevels', title: 'Start the service in runlevels 2 to 5', commands: links.map((l) => gf.lnSf(l.target, l.path)) },
    ];
    const expectations: Expectation[] = [file.expectation, ...links.map((l) => ({ kind: 'symlink' as const, path: l.path, target: l.target }))];

    const depend = layout === 'debian' ? ctx.linux.insservDepend : undefined;
    if (depend) {
      const edits = (['start', 'stop'] as const)
        .map((k) => ({ path: `/etc/init.d/.depend.${k}`, before: depend[k], after: addInsservTarget(depend[k], svc) }))
        .filter((e) => e.after !== e.before)
        .map((e) => rootTextFile(e.path, e.after, 0o644, `${svc}:`));
      if (edits.length > 0) {
        steps.push({ id: 'register-insserv', title: "Add the service to insserv's boot order", commands: edits.flatMap((e) => e.commands) });
        expectations.push(...edits.map((e) => e.expectation));
      }
    }

    return {
      steps,
      expectations,
      files: [script, ...links.map((l) => l.path)],
      atNextBoot: [
        `sysvinit runs ${script} start in runlevels 2 to 5 (S99 links; K01 links stop it in runlevels 0, 1 and 6).`,
        ...supervisorSentences(ctx),
      ],
    };
  },
};
