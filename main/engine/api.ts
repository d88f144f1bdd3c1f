// The engine's API: everything the CLI, the backend (and through it the Electron main process and the
// browser bridge) may use of the engine, in one place. Those adapters import this module only
// (api.test.ts beside it checks), so what the engine offers is visible here, and its folders can
// be rearranged without touching them.

export { checkArchivesForGuest, detectJre, detectProactive } from './archive/detect';
export { engineCapabilities } from './capabilities';
export { GuestprepError, fail, toErrorData } from './errors';
export type { ErrorCode, ErrorData } from './errors';
export { chooseHypervisor } from './guestfish/hypervisor';
export { launchAppliance, newLaunchStats } from './guestfish/launch';
export { applianceCacheDir } from './guestfish/session';
export { HOST_TOOLS, installCommand } from './host-tools';
export type { HostTool } from './host-tools';
export { listVirtualBoxVms } from './image/virtualbox';
export { buildPlan, renderScript } from './plan';
export { shQuote } from './quote/sh';
export { prepareBatch } from './run/batch';
export type { BatchReport } from './run/batch';
export { checkCredentialsFile } from './run/credentials';
export { DEFAULT_INSTALL_DIR, DEFAULT_NODE_SOURCE, DEFAULT_SERVICE_NAME, DEFAULT_SERVICE_USER } from './run/defaults';
export { inspectImage } from './run/inspect-image';
export type { InspectReport } from './run/inspect-image';
export { OPEN_PHASES, checkClaim, memoryJournal } from './run/journal';
export type { AliveCheck, JournalEntry, JournalPhase, RunJournal } from './run/journal';
export { ownerAlive } from './run/owner';
export { earlySettings, prepare } from './run/prepare';
export type { PrepareHooks, PrepareReport } from './run/prepare';
export { ensurePrivateDir, ensurePrivateFile, tightenSqliteCompanions } from './run/private-files';
export { recoverInterrupted } from './run/recover';
export type { RecoveryOutcome } from './run/recover';
export { remove } from './run/remove';
export type { RemoveReport } from './run/remove';
export type { RunReport } from './run/report';
export { retarget } from './run/retarget';
export type { RetargetReport } from './run/retarget';
export { WarmPool } from './run/warm';
export { parseSettingsInput } from './settings/input-schema';
export { expandNodeName, isNodeNamePattern } from './settings/node-name-pattern';
export { checkRetargetEarly, parseRetargetInput } from './settings/retarget';
export { checkSettingsEarly, validateSettings } from './settings/validate';
export type { GuestFacts, ImageFileInfo, JreInfo, ProactiveInfo, RetargetSettingsInput, RunEvent, SettingsInput, UploadRef } from './types';
export { GUESTPREP_VERSION } from './version';
