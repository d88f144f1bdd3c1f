// Pure text formatting for the terminal: reports, errors and sizes. Kept apart from the CLI wiring so
// it is tested on its output text.

import type { ErrorData } from '../engine/api';
import { shQuote } from '../engine/api';
import type { GuestFacts, ImageFileInfo } from '../engine/api';
import type { InspectReport } from '../engine/api';
import type { BatchReport } from '../engine/api';
import type { PrepareReport } from '../engine/api';
import type { RetargetReport } from '../engine/api';
import type { RemoveReport } from '../engine/api';
import { formatBytes } from '../rules/units';

/** Sizes in the one unit style of CLI and app alike (main/rules/units.ts). */
export const bytes = formatBytes;

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function describeImage(i: ImageFileInfo): string {
  const sub = i.subformat ? ` (${i.subformat})` : '';
  return `${i.format.toUpperCase()}${sub}, ${bytes(i.virtualSize)} virtual, ${bytes(i.fileSize)} on disk`;
}

function describeInit(g: GuestFacts | PrepareReport['guest']): string {
  // Windows guests start the node as a service registered in the control set that boots.
  if (g.windows) return `Windows services (${g.windows.currentControlSet || 'control set unknown'}, ${g.windows.systemDrive ? `system drive ${g.windows.systemDrive}:` : 'system drive unknown'})`;
  const init = 'linux' in g && g.linux ? g.linux.init : (g as PrepareReport['guest']).init;
  const layout = 'linux' in g && g.linux ? g.linux.sysvLayout : (g as PrepareReport['guest']).sysvLayout;
  switch (init) {
    case 'systemd':
      return 'systemd';
    case 'sysvinit':
      return `sysvinit with init.d (${layout === 'redhat' ? 'Red Hat' : 'Debian'} layout)`;
    case 'rclocal':
      return 'rc.local only';
    default:
      return 'unknown';
  }
}

/** "Debian GNU/Linux 12 (bookworm)" when inspection found a product name, else "debian 12.5". */
function osName(g: { productName: string; distro: string; majorVersion: number; minorVersion: number }): string {
  if (g.productName && /[A-Za-z]/.test(g.productName)) return g.productName;
  return `${g.distro} ${g.productName || `${g.majorVersion}.${g.minorVersion}`}`.trim();
}

export function formatInspect(r: InspectReport): string {
  const g = r.guest;
  const lines = [
    `Image:        ${r.image.path}`,
    `Container:    ${describeImage(r.image)}`,
    `OS:           ${osName(g)} (${g.osType}, ${g.distro} ${g.majorVersion}.${g.minorVersion}, ${g.arch})`,
    `Hostname:     ${g.hostname || '(none)'}`,
    `Boot system:  ${describeInit(g)}`,
    `Free space:   ${bytes(g.freeBytes)} on ${g.freeBytesMountpoint}`,
  ];
  if (g.existing) {
    const x = g.existing.record;
    lines.push(
      `Guestprep:    node installed ${x.installedAt}${x.updatedAt ? `, updated ${x.updatedAt}` : ''} by Guestprep ${x.guestprepVersion}`,
      `              ${x.rmUrl}, node ${x.nodeName}, source ${x.nodeSource}${x.workers ? `, ${x.workers} workers` : ''}`,
      `              in ${x.installDir}, service ${x.serviceName} as ${x.serviceUser} (${x.init})`,
      `              ProActive ${x.proactive.version} (${x.proactive.generation})${x.jre ? `, Java ${x.jre.version}` : ''}`,
    );
  } else {
    lines.push('Guestprep:    no node installed by Guestprep');
  }
  lines.push(`Appliance:    ${r.launches} launch (${r.hypervisor ?? 'unknown'}), ${seconds(r.timings.totalMs)} in all`);
  return lines.join('\n') + '\n';
}

export function formatPrepare(r: PrepareReport): string {
  const out: string[] = [];
  out.push(r.dryRun ? 'Dry run: nothing was written to the image.' : `Prepared ${r.image.path}`);
  out.push(`  Guest:       ${osName(r.guest)} ${r.guest.arch}, ${describeInit(r.guest)}, hostname ${r.guest.hostname || '(none)'}`);
  out.push(`  ProActive:   ${r.proactive.version} (${r.proactive.generation === 'modern' ? '6.2+' : '3.x'})${r.proactive.bundledJre ? `, bundles Java ${r.proactive.bundledJre.version}` : ''}`);
  if (r.jre) out.push(`  Java:        ${r.jre.version} ${r.jre.os} ${r.jre.arch}`);
  out.push(`  Manager:     ${r.settings.rm.url}, node ${r.settings.nodeName}, source ${r.settings.nodeSource}${r.settings.workers ? `, ${r.settings.workers} workers` : ''}`);
  out.push(`  Installed:   ${r.settings.installDir}, service ${r.settings.serviceName} as ${r.settings.serviceUser}`);
  out.push(`  Space:       needs ${bytes(r.plan.requiredBytes)}, ${bytes(r.guest.freeBytes)} free on ${r.guest.freeBytesMountpoint}`);
  if (r.verification) out.push(`  Verified:    ${r.verification.checked} checks passed`);
  if (r.dryRun) {
    out.push('', 'Plan:');
    r.plan.steps.forEach((s, i) => out.push(`  ${i + 1}. ${s.title} (${s.id}, ${s.commands} guestfish command${s.commands === 1 ? '' : 's'})`));
  }
  out.push('');
  out.push('At next boot:');
  for (const s of r.atNextBoot) out.push(`  - ${s}`);
  if (r.warnings.length) {
    out.push('', 'Warnings:');
    for (const w of r.warnings) out.push(`  ! ${w}`);
  }
  if (r.scriptPath) {
    out.push('', `Script:      ${r.scriptPath}`);
    for (const f of r.stagedFiles ?? []) out.push(`${f.endsWith(".reg") ? "Staged .reg:" : "Staged tar: "} ${f}`);
    out.push(`Run it with: guestfish --rw --format=${r.image.format} -a ${shQuote(r.image.path)} -i -f ${shQuote(r.scriptPath)}`);
  }
  const t = r.timings;
  out.push(
    '',
    `Time: ${seconds(t.totalMs)} (launch ${seconds(t.launchMs)}, inspect ${seconds(t.inspectMs)}, write ${seconds(t.writeMs)}, verify ${seconds(t.verifyMs)}, commit ${seconds(t.commitMs)}); appliance launches: ${r.launches}${r.hypervisor ? ` (${r.hypervisor})` : ''}`,
  );
  return out.join('\n') + '\n';
}

function timeLine(r: { timings: PrepareReport['timings']; launches: number; hypervisor?: string }): string {
  const t = r.timings;
  return `Time: ${seconds(t.totalMs)} (launch ${seconds(t.launchMs)}, inspect ${seconds(t.inspectMs)}, write ${seconds(t.writeMs)}, verify ${seconds(t.verifyMs)}, commit ${seconds(t.commitMs)}); appliance launches: ${r.launches}${r.hypervisor ? ` (${r.hypervisor})` : ''}`;
}

export function formatRetarget(r: RetargetReport): string {
  const st = r.settings;
  const p = r.previous;
  const changed = (label: string, before: string, after: string) => (before === after ? `  ${label}${after} (unchanged)` : `  ${label}${after} (was ${before})`);
  const out = [
    `Retargeted ${r.image.path}`,
    changed('Manager:     ', p.rmUrl, st.rm.url),
    changed('Node:        ', p.nodeName, st.nodeName),
    changed('Source:      ', p.nodeSource, st.nodeSource),
    ...(st.workers !== undefined || p.workers !== undefined ? [changed('Workers:     ', String(p.workers ?? '(default)'), String(st.workers ?? '(default)'))] : []),
    `  Credentials: ${st.credentials ? `${st.credentials.hostPath} installed` : p.hasCredentials ? 'the installed file is kept' : 'none'}`,
    `  Written:     ${r.steps.map((s) => s.id).join(', ')}`,
    `  Uploaded:    ${r.bytesStreamed === 0 ? 'no archive (0 bytes streamed)' : `${bytes(r.bytesStreamed)} (the credentials file; no archive)`}`,
    `  Verified:    ${r.verification.checked} checks passed`,
    '',
    'At next boot:',
    ...r.atNextBoot.map((s) => `  - ${s}`),
  ];
  if (r.warnings.length) out.push('', 'Warnings:', ...r.warnings.map((w) => `  ! ${w}`));
  out.push('', timeLine(r));
  return out.join('\n') + '\n';
}

export function formatRemove(r: RemoveReport): string {
  const x = r.removed;
  const [nextBoot, ...done] = r.atNextBoot;
  const out = [
    `Removed the Guestprep node from ${r.image.path}`,
    `  Was:         ${x.rmUrl}, node ${x.nodeName}, in ${x.installDir}, service ${x.serviceName} (${x.init})`,
    `  Verified:    ${r.verification.checked} checks passed`,
    '',
    'Done:',
    ...done.map((s) => `  - ${s}`),
    '',
    `At next boot: ${nextBoot}`,
  ];
  if (r.warnings.length) out.push('', 'Warnings:', ...r.warnings.map((w) => `  ! ${w}`));
  out.push('', timeLine(r));
  return out.join('\n') + '\n';
}

export function formatError(e: ErrorData): string {
  const lines = [`Error [${e.code}]${e.step ? ` in step ${e.step}` : ''}: ${e.message}`, `Fix: ${e.fix}`];
  if (e.detail && e.code !== 'INTERNAL') {
    const tail = e.detail.trim().split('\n').slice(-8);
    lines.push('Details:', ...tail.map((l) => `  ${l}`));
  } else if (e.detail) {
    lines.push(e.detail);
  }
  return lines.join('\n') + '\n';
}

/** A batch: one line per image (node name, or the error and its fix), then the totals. */
export function formatBatch(r: BatchReport): string {
  const out: string[] = [];
  const ok = r.items.filter((i) => i.ok).length;
  out.push(`Prepared ${ok} of ${r.items.length} images in ${seconds(r.timings.totalMs)}; appliance launches: ${r.launches}${r.hypervisor ? ` (${r.hypervisor})` : ''}`);
  for (const it of r.items) {
    if (it.ok) {
      const rep = it.report;
      out.push(`  ${it.n}. ok      ${rep.image.path}: node ${rep.settings.nodeName} -> ${rep.settings.rm.url}, ${describeInit(rep.guest)}, ${rep.verification?.checked ?? 0} checks verified`);
      for (const w of rep.warnings) out.push(`           ! ${w}`);
    } else {
      out.push(`  ${it.n}. FAILED  ${it.image}: [${it.error.code}] ${it.error.message}`);
      out.push(`           Fix: ${it.error.fix}`);
    }
  }
  return out.join('\n') + '\n';
}
