// The settings of a retarget: the manager settings the user gives (URL, node name, node source, workers,
// a new credentials file) on top of what the install record says about everything else (install folder,
// service, user, JVM options, archives). Same rules and messages as a prepare's settings (the rule modules
// are shared); pure, like validate.ts: the caller reads the credentials file.

import { z } from 'zod';
import { fail } from '../errors';
import type { GuestFacts, NodeSettings, RetargetSettingsInput } from '../types';
import { settingsInputSchema } from './input-schema';
import { resolveNodeName, resolveNodeSource } from './names';
import { parseRmUrl } from './rm-url';
import { resolveWorkers } from './workers';
import { checkWindowsCmdValues } from './windows';
import { MAX_CREDENTIALS_BYTES } from './validate';
import { validateJvmOptions } from './jvm-options';
import { checkInstallRecord } from '../plan/record-check';

// The URL is optional like the rest: `retarget --node-name X` renames the node and keeps its manager.
const retargetSchema = settingsInputSchema.pick({ rmUrl: true, nodeName: true, nodeSource: true, workers: true, credentialsFile: true }).partial({ rmUrl: true }).strict();

const RETARGET_FIELDS = ['rmUrl', 'nodeName', 'nodeSource', 'workers', 'credentialsFile'] as const;

/** The shape of a retarget request (from the CLI, the app, JSON). */
export function parseRetargetInput(raw: unknown): RetargetSettingsInput {
  const r = retargetSchema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i: z.core.$ZodIssue) =>
      i.code === 'unrecognized_keys' ? `${i.keys.map((k) => JSON.stringify(k)).join(', ')} cannot be changed by a retarget` : `${i.path.map(String).join('.') || 'settings'}: ${i.message}`);
    fail('SETTING_INVALID', `invalid retarget settings: ${problems.join('; ')}`,
      'A retarget changes the manager settings only: rmUrl, nodeName, nodeSource, workers, credentialsFile. To change anything else, prepare the image again.');
  }
  return r.data;
}

/** The checks that need no guest: run before any appliance launch, so a typo costs milliseconds. */
export function checkRetargetEarly(raw: RetargetSettingsInput): void {
  const input = parseRetargetInput(raw);
  // A retarget that changes nothing would still rewrite the image: refuse it before the launch.
  if (!RETARGET_FIELDS.some((k) => input[k] !== undefined)) {
    fail('SETTING_INVALID', 'nothing to change: a retarget needs at least one new setting',
      'Give what should change: --rm-url URL, --node-name NAME, --node-source NAME, --workers N or --credentials FILE. Everything not given stays as installed.');
  }
  if (input.rmUrl !== undefined) parseRmUrl(input.rmUrl);
  if (input.nodeName !== undefined) resolveNodeName(input.nodeName, '');
  if (input.nodeSource !== undefined) resolveNodeSource(input.nodeSource);
  if (input.workers !== undefined) resolveWorkers(input.workers, 'modern');
}

export interface RetargetSettings {
  settings: NodeSettings;
  /** The earlier manager settings, for the report. */
  previous: { rmUrl: string; nodeName: string; nodeSource: string; workers?: number; hasCredentials: boolean };
  warnings: string[];
}

/**
 * The node settings after the retarget. What is not given stays as recorded: the node name and source,
 * the workers, and the credentials file already in the guest (the node keeps using it).
 */
export function retargetSettings(
  raw: RetargetSettingsInput,
  ctx: { guest: GuestFacts; credentials?: { hostPath: string; bytes: number } },
): RetargetSettings {
  const input = parseRetargetInput(raw);
  const record = checkInstallRecord(ctx.guest);
  const warnings: string[] = [];
  const rm = parseRmUrl(input.rmUrl ?? record.rmUrl);
  const nodeName = resolveNodeName(input.nodeName ?? record.nodeName, ctx.guest.hostname).nodeName;
  const nodeSource = resolveNodeSource(input.nodeSource ?? record.nodeSource);
  const workers = input.workers !== undefined && input.workers !== '' ? resolveWorkers(input.workers, record.proactive.generation) : record.workers;
  if (input.credentialsFile !== undefined && !ctx.credentials) {
    fail('CREDENTIALS_UNREADABLE', `could not read the credentials file ${input.credentialsFile}`, 'Check that the file given with --credentials exists and is readable.');
  }
  const credentials = ctx.credentials;
  if (credentials && (credentials.bytes === 0 || credentials.bytes > MAX_CREDENTIALS_BYTES)) {
    fail('SETTING_INVALID', `the credentials file ${credentials.hostPath} is ${credentials.bytes} bytes; a credentials file is a few KB`,
      'Give the .cred file made with the server\'s create-cred tool (proactive-create-cred) with --credentials.');
  }
  const jvmOptions = validateJvmOptions(Array.isArray(record.jvmOptions) ? record.jvmOptions : []);
  if (rm.protocol === 'pamr' && rm.note && !jvmOptions.some((o) => o.startsWith('-Dproactive.pamr.router.address='))) warnings.push(rm.note);
  if (record.hasCredentials && !credentials && record.rmUrl !== rm.url) {
    warnings.push('the node keeps the credentials file of its earlier install; credentials are made for one server: give the new one with --credentials if the new manager refuses the node');
  }
  const settings: NodeSettings = {
    rm,
    nodeName,
    nodeSource,
    jvmOptions,
    installDir: record.installDir,
    serviceName: record.serviceName,
    serviceUser: record.serviceUser,
  };
  if (workers !== undefined) settings.workers = workers;
  if (credentials) settings.credentials = credentials;
  if (ctx.guest.osType === 'windows') checkWindowsCmdValues(settings);
  return {
    settings,
    previous: { rmUrl: record.rmUrl, nodeName: record.nodeName, nodeSource: record.nodeSource, ...(record.workers !== undefined ? { workers: record.workers } : {}), hasCredentials: record.hasCredentials },
    warnings,
  };
}
