// sysvinit guests: an LSB init script in the distribution's init.d, started by S99 links in runlevels
// 2-5 and stopped by K01 links in 0, 1 and 6. The rc directories must already exist (they do on real
// sysvinit guests): the links are not allowed to invent a layout, so a missing one fails the step.
// On Debian with insserv, the service is also registered in .depend.start/.depend.stop (see
// texts/insserv-depend.ts): without that, startpar would ignore the links. The record says exactly what
// was added there, so `remove` can take it out again.

import { fail } from '../../errors';
import type { Expectation, InstallRecord, SysvLayout } from '../../types';
import { gf, rootTextFile, type PlanContext, type Section } from '../common';
import { addInsservTarget, insservNeedsNewline } from '../texts/insserv-depend';
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

/** The init script of the service in a layout's init.d. */
export function sysvScriptPath(layout: SysvLayout, serviceName: string): string {
  return `${LAYOUTS[layout].initDir}/${serviceName}`;
}

function layoutOf(ctx: PlanContext): SysvLayout {
  const layout = ctx.linux.sysvLayout;
  if (!layout) {
    fail('GUEST_NO_BOOT_HOOK', 'the guest uses sysvinit, but where its init scripts and runlevel links live is unknown',
      'This is a gap in Guestprep\'s inspection of this guest; please report it with the guest\'s distribution.');
  }
  return layout;
}

export const sysvinitFlavour: Flavour = {
  init: 'sysvinit',
  createsDirs: [],
  ownFiles(serviceName: string): string[] {
    // The record does not say which layout the guest had: either one's exact names.
    return (Object.keys(LAYOUTS) as SysvLayout[]).flatMap((l) => [sysvScriptPath(l, serviceName), ...sysvLinks(l, serviceName).map((x) => x.path)]);
  },
  build(ctx: PlanContext): Section {
    const layout = layoutOf(ctx);
    const svc = ctx.settings.serviceName;
    const script = sysvScriptPath(layout, svc);
    const file = controlScriptFile(ctx, script);
    const links = sysvLinks(layout, svc);

    const steps: Section['steps'] = [
      { id: 'install-init-script', title: 'Install the init script', commands: file.commands },
      { id: 'link-runlevels', title: 'Start the service in runlevels 2 to 5', commands: links.map((l) => gf.lnSf(l.target, l.path)) },
    ];
    const expectations: Expectation[] = [file.expectation, ...links.map((l) => ({ kind: 'symlink' as const, path: l.path, target: l.target }))];

    const insserv: NonNullable<InstallRecord['insserv']> = [];
    const depend = layout === 'debian' ? ctx.linux.insservDepend : undefined;
    if (depend) {
      const edits = (['start', 'stop'] as const)
        .map((k) => ({ path: `/etc/init.d/.depend.${k}`, before: depend[k], after: addInsservTarget(depend[k], svc) }))
        .filter((e) => e.after !== e.before);
      if (edits.length > 0) {
        const files = edits.map((e) => rootTextFile(e.path, e.after, 0o644, `${svc}:`));
        steps.push({ id: 'register-insserv', title: "Add the service to insserv's boot order", commands: files.flatMap((e) => e.commands) });
        expectations.push(...files.map((e) => e.expectation));
      }
      for (const e of edits) insserv.push({ path: e.path, target: svc, newlineAdded: insservNeedsNewline(e.before) });
      // Listed already because an earlier run added it: still ours to take out.
      for (const p of ctx.previous?.insserv ?? []) if (p.target === svc && !insserv.some((x) => x.path === p.path)) insserv.push(p);
    }

    return {
      steps,
      expectations,
      files: [script, ...links.map((l) => l.path)],
      insserv,
      atNextBoot: [
        `sysvinit runs ${script} start in runlevels 2 to 5 (S99 links; K01 links stop it in runlevels 0, 1 and 6).`,
        ...supervisorSentences(ctx),
      ],
    };
  },
  retarget(ctx: PlanContext): Section {
    // The script's header names the node and its manager, and it hands the credentials file to the user.
    const file = controlScriptFile(ctx, sysvScriptPath(layoutOf(ctx), ctx.settings.serviceName));
    return {
      steps: [{ id: 'rewrite-init-script', title: 'Rewrite the init script for the new manager', commands: file.commands }],
      expectations: [file.expectation],
      files: [],
      atNextBoot: [],
    };
  },
};
