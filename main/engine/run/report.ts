// What an image-writing run answers with, whatever it did: the history, the app and the CLI keep and show
// any of them. Retarget and remove reports say which they are (`operation`); a prepare report has none.

import type { PrepareReport } from './prepare';
import type { RetargetReport } from './retarget';
import type { RemoveReport } from './remove';

export type RunReport = PrepareReport | RetargetReport | RemoveReport;
export type { PrepareReport, RetargetReport, RemoveReport };

export function operationOf(r: RunReport): 'prepare' | 'retarget' | 'remove' {
  return 'operation' in r ? r.operation : 'prepare';
}
