// 'settings.validate' answers with one ErrorData, not per field: this maps it to the form field it is
// about (from the engine's message wording), so the error is shown under the field to fix.

import type { ErrorData } from '../../../main/contract/contract';
import type { ManagerForm } from '../store/wizard';

export function fieldOfError(e: ErrorData): keyof ManagerForm | undefined {
  const m = `${e.message} ${e.fix}`.toLowerCase();
  if (e.code === 'CREDENTIALS_UNREADABLE' || m.includes('credentials')) return 'credentialsFile';
  if (m.includes('workers')) return 'workers';
  if (m.includes('node source')) return 'nodeSource';
  if (m.includes('node name') || m.includes('hostname')) return 'nodeName';
  if (m.includes('service user')) return 'serviceUser';
  if (m.includes('jvm option')) return 'jvmOptions';
  if (m.includes('resource manager url') || m.includes('rm-url') || m.includes('web portal') || /\b(pnp|pnps|pamr|rmi):\/\//.test(m)) return 'rmUrl';
  return undefined;
}
