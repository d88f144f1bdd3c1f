// The shape of SettingsInput. Settings arrive from CLI flags, app forms, JSON files and presets, so the
// shape is checked first (zod), with messages that name the setting; the rules on the values come after
// (validate.ts and its rule modules).

import { z } from 'zod';
import { fail } from '../errors';
import type { SettingsInput } from '../types';

export const settingsInputSchema = z
  .object({
    rmUrl: z.string(),
    nodeName: z.string().optional(),
    nodeSource: z.string().optional(),
    workers: z.union([z.number(), z.string()]).optional(),
    credentialsFile: z.string().optional(),
    jvmOptions: z.array(z.string()).optional(),
    ignoreUnrecognizedVmOptions: z.boolean().optional(),
    installDir: z.string().optional(),
    serviceName: z.string().optional(),
    serviceUser: z.string().optional(),
  })
  .strict();

// Keeps the schema and the shared type in step: compilation fails if either drifts.
type SchemaShape = z.infer<typeof settingsInputSchema>;
const sameShape: [SchemaShape, SettingsInput] extends [SettingsInput, SchemaShape] ? true : never = true;
void sameShape;

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.map(String).join('.') : 'settings';
  if (issue.code === 'unrecognized_keys') return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  if (issue.path[0] === 'workers') return 'workers must be a number';
  if (issue.code === 'invalid_type') {
    // zod does not keep the input in issues by default; its message says what it received.
    if (/received undefined/.test(issue.message)) return `${where} is missing`;
    const article = /^[aeiou]/.test(issue.expected) ? 'an' : 'a';
    return `${where} must be ${issue.expected === 'array' ? 'a list' : `${article} ${issue.expected}`}`;
  }
  return `${where}: ${issue.message}`;
}

/** Checks the shape of raw settings (from JSON, a preset, a form) and returns them typed. */
export function parseSettingsInput(raw: unknown): SettingsInput {
  const r = settingsInputSchema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map(describeIssue);
    fail('SETTING_INVALID', `invalid settings: ${problems.join('; ')}`,
      'Fix the settings named above. Known settings: rmUrl, nodeName, nodeSource, workers, credentialsFile, jvmOptions (a list), ignoreUnrecognizedVmOptions (true/false), installDir, serviceName, serviceUser.');
  }
  return r.data;
}
