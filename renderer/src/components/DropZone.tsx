// A drop target that is also a real button: focusable, Enter/Space open the file picker, so the same
// files can be chosen without a mouse. The parent decides what the files mean.

import { useRef, useState, type DragEvent, type KeyboardEvent } from 'react';

export interface DropZoneProps {
  label: string;
  hint: string;
  accept: readonly string[];
  multiple?: boolean;
  onFiles(files: File[]): void;
  testId?: string;
  disabled?: boolean;
}

export function DropZone({ label, hint, accept, multiple, onFiles, testId, disabled }: DropZoneProps) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const hintId = `${testId ?? 'drop'}-hint`;

  const open = () => {
    if (!disabled) input.current?.click();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open();
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (disabled) return;
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length) onFiles(files);
  };

  return (
    <div
      className={`drop-zone${over ? ' over' : ''}${disabled ? ' disabled' : ''}`}
      role="button"
      tabIndex={disabled ? -1 : 0}
      aria-label={label}
      aria-describedby={hintId}
      aria-disabled={disabled || undefined}
      data-testid={testId}
      onClick={open}
      onKeyDown={onKeyDown}
      onDragOver={(e) => {
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <span className="drop-title" aria-hidden="true">{label}</span>
      <span className="hint" id={hintId}>{hint}</span>
      <input
        ref={input}
        type="file"
        hidden
        tabIndex={-1}
        multiple={multiple}
        accept={accept.join(',')}
        data-testid={testId ? `${testId}-input` : undefined}
        onChange={(e) => {
          const files = Array.from(e.currentTarget.files ?? []);
          e.currentTarget.value = '';
          if (files.length) onFiles(files);
        }}
      />
    </div>
  );
}
