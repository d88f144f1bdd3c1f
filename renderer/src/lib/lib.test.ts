import { describe, expect, it } from 'vitest';
import { fieldOfError } from './field-of-error';

describe('fieldOfError', () => {
  it('takes the field the engine names, never the wording', () => {
    const e = (field: string | undefined, message = 'x') => fieldOfError({ code: 'SETTING_INVALID', message, fix: '', ...(field ? { field } : {}) });
    expect(e('nodeSource')).toBe('nodeSource');
    expect(e('settings.workers')).toBe('workers');
    expect(e('settings.jvmOptions.2')).toBe('jvmOptions');
    expect(e('credentialsFile')).toBe('credentialsFile');
    expect(e('installDir')).toBeUndefined();
    expect(e(undefined, 'the node source "a b" is not valid')).toBeUndefined();
  });
});

