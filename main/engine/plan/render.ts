// renderScript: a plan as a guestfish script that a human can read, check and run by hand. Comments say
// how to run it and what it reads from the host; each step is announced; every text file it writes is
// shown in full as comments before the commands that write it.

import { renderCommand } from '../quote/guestfish';
import { shQuote } from '../quote/sh';
import type { GfCommand, Plan, UploadRef } from '../types';

export interface RenderOptions {
  /** The image path, as the reader will pass it to guestfish. */
  image: string;
  /** guestfish --format value: vdi, vmdk, vpc, vhdx, qcow2, raw. */
  format: string;
  /** Host path the script reads for an upload (the dry run writes those files next to the script). */
  uploadPath(ref: UploadRef): string;
  /** What the script does, for its first line (default: prepare a ProActive node in a VM disk image). */
  purpose?: string;
}

/**
 * guestfish reads script lines into an 8 KiB buffer and would run the rest of a longer COMMENT line as
 * a command, so comment lines are kept short, and control characters are shown escaped.
 */
const MAX_COMMENT = 160;

function commentText(s: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = s.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\t' ? '    ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return safe.length > MAX_COMMENT ? `${safe.slice(0, MAX_COMMENT - 3)}...` : safe;
}

const comment = (s = '') => (s === '' ? '#' : `# ${commentText(s)}`);

/** A comment line that must stay whole (a command to copy): control characters escaped, cut only past 4000. */
function fullComment(s: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `# ${safe.length > 4000 ? `${safe.slice(0, 3997)}...` : safe}`;
}

/** Words wrapped into comment lines; continuation lines are indented two more spaces. */
function wrapped(text: string, indent = ''): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (cur && cur.length + 1 + w.length > 96) {
      lines.push(comment((lines.length ? `${indent}  ` : indent) + cur));
      cur = w;
    } else {
      cur = cur ? `${cur} ${w}` : w;
    }
  }
  if (cur) lines.push(comment((lines.length ? `${indent}  ` : indent) + cur));
  return lines;
}

function uploadsOf(plan: Plan): UploadRef[] {
  const seen = new Map<string, UploadRef>();
  for (const step of plan.steps) for (const c of step.commands) for (const a of c.argv.slice(1)) {
    if (typeof a !== 'string' && !seen.has(a.upload.id)) seen.set(a.upload.id, a.upload);
  }
  return [...seen.values()];
}

/** The full text a `write` and the `write-append`s right after it put in one file. */
function writtenText(cmds: GfCommand[], i: number): { path: string; text: string } | undefined {
  const [name, path, first] = cmds[i].argv;
  if (name !== 'write' || typeof path !== 'string' || typeof first !== 'string') return undefined;
  let text = first;
  for (let j = i + 1; j < cmds.length; j++) {
    const [n, p, t] = cmds[j].argv;
    if (n !== 'write-append' || p !== path || typeof t !== 'string') break;
    text += t;
  }
  return { path, text };
}

export function renderScript(plan: Plan, opts: RenderOptions): string {
  const r = plan.record;
  const out: string[] = [
    comment(`Guestprep ${r.guestprepVersion}: ${opts.purpose ?? 'prepare a ProActive node in a VM disk image'} (generated ${r.updatedAt ?? r.installedAt}).`),
    comment(),
    comment('This guestfish script changes the image in place. Run it on a powered-off VM, after a backup:'),
    comment(`  guestfish --rw --format=${opts.format} -a ${shQuote(opts.image)} -i -f THIS_SCRIPT`),
    comment('If KVM is not usable on this machine, prefix it with LIBGUESTFS_BACKEND_SETTINGS=force_tcg'),
    comment(),
    comment(`Node ${r.nodeName} (source ${r.nodeSource}) joins ${r.rmUrl}; installed in ${r.installDir}, service ${r.serviceName} (${r.init}), user ${r.serviceUser}.`),
  ];
  const uploads = uploadsOf(plan);
  if (uploads.length > 0) {
    out.push(comment(), comment('It reads these files from this machine:'));
    for (const u of uploads) {
      const what = u.kind === 'tar' ? `the archive ${u.source}, re-packed as a plain tar without its top directory`
        : u.kind === 'content' ? 'written by Guestprep next to this script'
        : u.kind === 'scratch' ? 'a scratch file this script creates: the registry hive is downloaded into it, changed on this machine, and uploaded back'
        : `a copy of ${u.source}`;
      out.push(comment(`  ${opts.uploadPath(u)}`), ...wrapped(`(${u.id}: ${what})`, '    '));
    }
  }
  const reg = uploads.find((u) => u.kind === 'content' && u.fileName?.endsWith('.reg'));
  if (reg && r.windowsService) {
    out.push(
      comment(),
      ...wrapped(`The service is registered by merging ${opts.uploadPath(reg)} into the guest's SYSTEM hive on this machine ` +
        '(hivexregedit, a `!` line: needs hivexregedit from hivex), in the same guestfish session. The manual route instead: ' +
        'leave out the register-service step, then run on the powered-off VM:'),
      // Not cut at MAX_COMMENT like other comments: a truncated path would make the command useless, and
      // one word per line keeps each line far below guestfish's 8 KiB buffer.
      fullComment('  virt-win-reg --merge \\'),
      fullComment(`    ${shQuote(opts.image)} \\`),
      fullComment(`    ${shQuote(opts.uploadPath(reg))}`),
      ...wrapped(`virt-win-reg does not map CurrentControlSet offline; the .reg already names the control set this Windows boots with (${r.windowsService.controlSet}).`),
    );
  }
  out.push(comment(), comment('At the next boot:'));
  for (const s of plan.atNextBoot) out.push(...wrapped(`- ${s}`, '  '));
  if (plan.warnings.length > 0) {
    out.push(comment(), comment('Warnings:'));
    for (const w of plan.warnings) out.push(...wrapped(`- ${w}`, '  '));
  }

  const total = plan.steps.length;
  plan.steps.forEach((step, n) => {
    out.push('', comment(`Step ${n + 1}/${total}: ${step.title} (${step.id})`));
    step.commands.forEach((c, i) => {
      const written = writtenText(step.commands, i);
      if (written) {
        out.push(comment(`Content of ${written.path}:`));
        // Windows batch files are CRLF on purpose: shown without their \r (the commands write them exactly).
        // Anywhere else a \r is a problem worth seeing, so it stays visible as \x0d.
        const crlf = /\.(cmd|bat)$/i.test(written.path);
        for (const line of (crlf ? written.text.replace(/\r?\n$/, '') : written.text.replace(/\n$/, '')).split('\n')) {
          out.push(comment(`| ${crlf ? line.replace(/\r$/, '') : line}`));
        }
      }
      for (const a of c.argv.slice(1)) {
        // Generated host files (the .reg) are shown like generated guest files: the reader sees what is merged.
        if (typeof a !== 'string' && a.upload.kind === 'content' && a.upload.content !== undefined) {
          out.push(comment(`Content of ${opts.uploadPath(a.upload)} (on this machine):`));
          for (const line of a.upload.content.replace(/\r?\n$/, '').split('\n')) out.push(comment(`| ${line.replace(/\r$/, '')}`));
        }
      }
      out.push(renderCommand(c, opts.uploadPath));
    });
  });
  return out.join('\n') + '\n';
}
