// Workers (-w): how many tasks a 6.2+ node runs at once. 3.x nodes have no such option: there -w is a
// join timeout in milliseconds, so passing a worker count would silently mean something else.

import { fail } from '../errors';
import type { ProactiveGeneration } from '../types';

export const MAX_WORKERS = 1024;

export function resolveWorkers(given: number | string | undefined, generation: ProactiveGeneration): number | undefined {
  if (given === undefined || given === '') return undefined;
  if (generation === 'legacy') {
    fail('SETTING_INVALID', '3.x nodes have no workers option (in 3.x -w is a join timeout)',
      'Remove --workers, or use a ProActive 6.2+ node archive.', { field: 'workers' });
  }
  const n = typeof given === 'number' ? given : /^\s*[0-9]+\s*$/.test(given) ? Number(given) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    fail('SETTING_INVALID', `the number of workers ${JSON.stringify(given)} is not a whole number from 1 to ${MAX_WORKERS}`,
      `Use --workers N with N from 1 to ${MAX_WORKERS} (usually the number of CPUs of the VM), or leave it out.`, { field: 'workers' });
  }
  return n;
}
