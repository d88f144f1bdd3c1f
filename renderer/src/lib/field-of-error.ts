// Which form field an error is about: the engine says so itself (`field` on the error data: `nodeName`,
// or `settings.nodeName` from the backend's request check), so the error is shown under the field to fix.
// No English is matched: an error without a field (or with one the form lacks) is shown for the whole form.

import type { ErrorData } from '../../../main/contract/contract';
import type { ManagerForm } from '../store/wizard';

const FORM_FIELDS: ReadonlySet<keyof ManagerForm> = new Set(['rmUrl', 'nodeSource', 'nodeName', 'workers', 'credentialsFile', 'serviceUser', 'jvmOptions']);

export function fieldOfError(e: ErrorData): keyof ManagerForm | undefined {
  const name = e.field?.replace(/^settings\./, '').split('.')[0];
  return name && FORM_FIELDS.has(name as keyof ManagerForm) ? (name as keyof ManagerForm) : undefined;
}
