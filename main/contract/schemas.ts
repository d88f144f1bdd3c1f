// The arguments of every contract call as runtime schemas (zod): the page is not trusted to send what the
// types say, so each request is checked against its call's schema before any handler sees it. Strings and
// numbers are bounded (a 1 MiB "preset name" or a limit of 1e300 is refused here, not by SQLite or stored
// whole), nested facts are checked field by field, and the refusal names the field at fault.
//
// Node-free (zod and type imports only), like contract.ts: it is the first step towards a contract declared
// as schemas, from which the types and the name lists would be derived too.

import { z } from 'zod';
import { GuestprepError, type ErrorData } from '../engine/errors';
import type { CallName, CallReq } from './contract';

// ---------------------------------------------------------------- bounds

/** Host paths: PATH_MAX on Linux; Windows long paths are shorter in practice. */
export const MAX_PATH = 4096;
/** Names, versions, hosts, ids: far above any real one (a DNS name is at most 253). */
export const MAX_NAME = 256;
export const MAX_URL = 2048;
/** A preset name, counted in characters (the store's own rule). */
export const MAX_PRESET_NAME = 64;
/** Guest file texts carried in the facts (rc.local, insserv makefiles). */
export const MAX_TEXT = 1024 * 1024;
/** A presets file to import: thousands of presets. */
export const MAX_IMPORT_JSON = 4 * 1024 * 1024;
/** history.list: the newest N runs. */
export const MAX_HISTORY_LIMIT = 1000;
/** Images of one batch: one appliance with that many drives is already far past what libguestfs allows. */
export const MAX_BATCH_IMAGES = 255;
export const MAX_LIST = 1024;
/** Paths listed in an install record (every file Guestprep created). */
export const MAX_RECORD_FILES = 100_000;

const path = z.string().max(MAX_PATH);
const requiredPath = path.min(1);
const name = z.string().max(MAX_NAME);
const url = z.string().max(MAX_URL);
const text = z.string().max(MAX_TEXT);
const count = z.int().min(0);
const small = z.int().min(0).max(1_000_000);
const list = <T extends z.ZodType>(item: T, max = MAX_LIST) => z.array(item).max(max);
/** Optional in the contract; the page may also send null for "none" (JSON has no undefined). */
const opt = <T extends z.ZodType>(s: T) => s.nullish().transform((v) => v ?? undefined);
const presetName = z
  .string()
  // Counted in characters after trimming, like the store; the length test first keeps a 1 MiB string cheap.
  .refine((s) => s.length <= MAX_PRESET_NAME * 4 && [...s.trim()].length <= MAX_PRESET_NAME, { message: `is longer than ${MAX_PRESET_NAME} characters` });
/** Calls without arguments: the page sends {} (or nothing). */
const noArgs = z.strictObject({});

// ---------------------------------------------------------------- engine data the page sends back

export const settingsInputSchema = z.strictObject({
  rmUrl: url,
  nodeName: name.optional(),
  nodeSource: name.optional(),
  workers: z.union([z.int().min(-1_000_000).max(1_000_000), z.string().max(32)]).optional(),
  credentialsFile: path.optional(),
  jvmOptions: list(z.string().max(MAX_URL), 256).optional(),
  ignoreUnrecognizedVmOptions: z.boolean().optional(),
  installDir: path.optional(),
  serviceName: name.optional(),
  serviceUser: name.optional(),
});

const retargetSettingsSchema = settingsInputSchema.pick({ rmUrl: true, nodeName: true, nodeSource: true, workers: true, credentialsFile: true });

const archiveKind = z.enum(['tar.gz', 'tar.xz', 'tar', 'zip']);
const javaOs = z.enum(['linux', 'windows', 'macos', 'unknown']);

export const jreInfoSchema = z.object({
  archivePath: requiredPath,
  kind: archiveKind,
  home: path,
  version: name,
  major: small,
  os: javaOs,
  arch: name,
  source: z.enum(['release-file', 'inferred']),
  unpackedBytes: count,
  entryCount: count,
  tarBytes: count.optional(),
});

const proactiveBase = z.object({
  archivePath: requiredPath,
  kind: archiveKind,
  home: path,
  generation: z.enum(['legacy', 'modern']),
  version: name,
  bundledJre: z.object({ major: small, version: name, os: javaOs, arch: name }).optional(),
  unpackedBytes: count,
  entryCount: count,
  tarBytes: count.optional(),
});

/** Node distributions are made per OS: the POSIX start script, the Windows one, or both; never neither. */
export const proactiveInfoSchema = z.union([
  proactiveBase.extend({ startScript: path, windowsStartScript: path.optional() }),
  proactiveBase.extend({ startScript: z.undefined().optional(), windowsStartScript: path }),
]);

export const imageFileInfoSchema = z.object({
  path: requiredPath,
  format: z.enum(['vdi', 'vmdk', 'vpc', 'vhdx', 'qcow2', 'raw']),
  subformat: name.optional(),
  virtualSize: count,
  fileSize: count,
  vdiParentUuid: name.optional(),
  backingFile: path.optional(),
  extentFiles: list(path).optional(),
});

const fileStat = z.object({ mode: z.int().min(0).max(0o7777), uid: count, gid: count });

const installRecordSchema = z.object({
  tool: z.literal('guestprep'),
  formatVersion: z.literal(1),
  guestprepVersion: name,
  installedAt: name,
  updatedAt: name.optional(),
  installDir: path,
  serviceName: name,
  serviceUser: name,
  init: z.enum(['systemd', 'sysvinit', 'rclocal', 'windows-service']),
  rmUrl: url,
  nodeName: name,
  nodeSource: name,
  workers: z.int().optional(),
  jvmOptions: list(z.string().max(MAX_URL), 256),
  hasCredentials: z.boolean(),
  jre: z.object({ version: name, arch: name, archive: path }).optional(),
  proactive: z.object({
    version: name,
    generation: z.enum(['legacy', 'modern']),
    archive: path,
    startScript: path.optional(),
    windowsStartScript: path.optional(),
  }),
  files: list(path, MAX_RECORD_FILES),
  createdDirs: list(path).optional(),
  rcLocal: z.object({ path, line: z.string().max(MAX_PATH), previous: fileStat.extend({ text: text.optional() }).optional() }).optional(),
  insserv: list(z.object({ path, target: name, newlineAdded: z.boolean() }), 16).optional(),
  serviceAccount: z.object({ user: name, userExisted: z.boolean(), groupExisted: z.boolean() }).optional(),
  windowsService: z.object({ controlSet: name, key: z.string().max(MAX_PATH) }).optional(),
});

const linuxBootFactsSchema = z.object({
  init: z.enum(['systemd', 'sysvinit', 'rclocal']),
  sysvLayout: z.enum(['debian', 'redhat']).optional(),
  rcLocalPath: path.optional(),
  rcLocalText: text.optional(),
  rcLocalStat: fileStat.optional(),
  insservDepend: z.object({ start: text, stop: text }).optional(),
  accounts: z.object({ users: list(name, 100_000), groups: list(name, 100_000) }).optional(),
  tools: z.object({
    systemdSysusers: path.optional(),
    systemdTmpfiles: path.optional(),
    useradd: path.optional(),
    runuser: path.optional(),
    su: path.optional(),
    nologin: path.optional(),
  }),
});

const windowsFactsSchema = z.object({
  productName: name,
  productVariant: name,
  majorVersion: small,
  minorVersion: small,
  arch: name,
  systemRoot: path,
  currentControlSet: name,
  inspectedControlSet: name,
  controlSetNote: z.string().max(MAX_URL).optional(),
  systemDrive: z.string().max(2),
  driveMappings: z.record(z.string().max(2), name),
  systemHivePath: path,
  softwareHivePath: path,
  freeBytes: count,
  existingService: z
    .object({ name, imagePath: z.string().max(MAX_PATH), parameters: z.record(name, z.string().max(MAX_PATH)) })
    .optional(),
});

export const guestFactsSchema = z.object({
  root: name.min(1),
  osType: name,
  distro: name,
  majorVersion: small,
  minorVersion: small,
  productName: name,
  arch: name,
  hostname: name,
  mountpoints: list(z.object({ mountpoint: path, device: name })),
  freeBytes: count,
  freeBytesMountpoint: path,
  linux: linuxBootFactsSchema.optional(),
  existing: z.object({ record: installRecordSchema, path }).optional(),
  dirsPresent: z.record(path, z.boolean()).optional(),
  windows: windowsFactsSchema.optional(),
  inspectedBy: z.enum(['quick', 'libguestfs']).optional(),
});

export const presetDataSchema = z.strictObject({
  jre: opt(path),
  proactive: opt(path),
  settings: settingsInputSchema,
});

// ---------------------------------------------------------------- one schema per call

/** The request schema of every call. Typed by call name: a call added to the contract without one does not compile. */
export const CALL_SCHEMAS = {
  'image.inspect': z.strictObject({ image: requiredPath }),
  'archive.detect': z.strictObject({ path: requiredPath, role: z.enum(['jre', 'proactive']) }),
  'settings.validate': z.strictObject({ settings: settingsInputSchema, guest: guestFactsSchema, jre: opt(jreInfoSchema), proactive: proactiveInfoSchema }),
  'plan.preview': z.strictObject({
    image: requiredPath,
    guest: guestFactsSchema,
    imageInfo: imageFileInfoSchema,
    jre: opt(jreInfoSchema),
    proactive: proactiveInfoSchema,
    settings: settingsInputSchema,
  }),
  'run.start': z.strictObject({ image: requiredPath, jre: opt(path), proactive: requiredPath, settings: settingsInputSchema, preset: opt(presetName) }),
  'run.retarget': z.strictObject({ image: requiredPath, settings: retargetSettingsSchema, installDir: opt(path) }),
  'run.remove': z.strictObject({ image: requiredPath, installDir: opt(path) }),
  'run.cancel': z.strictObject({ runId: name.min(1) }),
  'presets.list': noArgs,
  'presets.save': z.strictObject({ name: presetName, data: presetDataSchema }),
  'presets.rename': z.strictObject({ from: presetName, to: presetName }),
  'presets.delete': z.strictObject({ name: presetName }),
  'presets.export': z.strictObject({ names: opt(list(presetName)) }),
  'presets.import': z.strictObject({ json: z.string().max(MAX_IMPORT_JSON), overwrite: opt(z.boolean()) }),
  'history.list': z.strictObject({
    text: opt(z.string().max(MAX_PATH)),
    outcome: opt(z.enum(['success', 'failed', 'cancelled', 'interrupted'])),
    limit: opt(z.int().min(1).max(MAX_HISTORY_LIMIT)),
  }),
  'history.get': z.strictObject({ id: name.min(1) }),
  'vbox.list': noArgs,
  'shell.showInFolder': z.strictObject({ path: requiredPath }),
  'image.release': z.strictObject({ image: opt(path) }),
  'run.startBatch': z.strictObject({
    images: list(requiredPath, MAX_BATCH_IMAGES).min(1),
    jre: opt(path),
    proactive: requiredPath,
    settings: settingsInputSchema,
    preset: opt(presetName),
  }),
  'recovery.status': noArgs,
  'engine.capabilities': noArgs,
} satisfies { [C in CallName]: z.ZodType<CallReq<C>, unknown> };

// ---------------------------------------------------------------- checking a request

function fieldOf(issue: z.core.$ZodIssue): string {
  return issue.path.map(String).join('.');
}

/** One issue in words: the field, then what is wrong with it (zod's own wording is about types, not fields). */
function describe(issue: z.core.$ZodIssue): string {
  const field = fieldOf(issue);
  const where = field || 'the request';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${field ? `${field}: ` : ''}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'too_big':
      if (issue.origin === 'string') return `${where} is longer than ${issue.maximum} characters`;
      if (issue.origin === 'array') return `${where} has more than ${issue.maximum} items`;
      return `${where} must be at most ${issue.maximum}`;
    case 'too_small':
      if (issue.origin === 'string') return `${where} is empty`;
      if (issue.origin === 'array') return `${where} is empty`;
      return `${where} must be at least ${issue.minimum}`;
    case 'invalid_type':
      if (/received undefined/.test(issue.message)) return `${where} is missing`;
      return `${where} must be ${issue.expected === 'array' ? 'a list' : issue.expected === 'int' ? 'a whole number' : `of type ${issue.expected}`}`;
    case 'invalid_value':
      return `${where} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'custom':
      return `${where} ${issue.message}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

/**
 * One issue per field: zod may report several for the same value (1e300 is past both the safe-integer range
 * and our own maximum); the tightest bound is the one worth saying.
 */
function perField(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const byField = new Map<string, z.core.$ZodIssue>();
  for (const issue of issues) {
    const key = fieldOf(issue);
    const seen = byField.get(key);
    if (!seen) byField.set(key, issue);
    else if (issue.code === 'too_big' && seen.code === 'too_big' && Number(issue.maximum) < Number(seen.maximum)) byField.set(key, issue);
    else if (issue.code === 'too_small' && seen.code === 'too_small' && Number(issue.minimum) > Number(seen.minimum)) byField.set(key, issue);
  }
  return [...byField.values()];
}

/** The refusal of a request that does not match its call's schema: SETTING_INVALID naming the first field. */
export function requestError(call: CallName, allIssues: readonly z.core.$ZodIssue[]): ErrorData {
  const issues = perField(allIssues);
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  const field = first ? fieldOf(first) : '';
  const data: ErrorData = {
    code: 'SETTING_INVALID',
    message: `${call}: ${first ? describe(first) : 'the request is invalid'}${more}.`,
    fix: field.startsWith('settings.')
      ? `Correct the setting ${field.slice('settings.'.length)} and try again.`
      : 'The page sent a request Guestprep cannot take: reload the page; if it persists, report it.',
  };
  if (field) data.field = field;
  return data;
}

/** The request checked against its call's schema: the parsed (bounded, typed) value, or a GuestprepError. */
export function parseCallRequest<C extends CallName>(call: C, req: unknown): CallReq<C> {
  const schema = (CALL_SCHEMAS as Record<CallName, z.ZodType>)[call];
  if (!schema) throw new GuestprepError({ code: 'SETTING_INVALID', message: `Unknown call ${JSON.stringify(call)}.`, fix: 'Reload the page; if it persists, report it.' });
  const r = schema.safeParse(req);
  if (!r.success) throw new GuestprepError(requestError(call, r.error.issues));
  return r.data as CallReq<C>;
}
