// A drop target that is also a real button: focusable, Enter/Space open the file picker, so the same
// files can be chosen without a mouse. The parent decides what the files mean.
//
// Host paths of dropped files: Electron knows them (client.pathForFile). A plain browser page never gets
// a File's path, but a drag from a Linux file manager also carries `text/uri-list` with file:// URIs; when
// the page is served by `guestprep serve` on the same machine, those ARE the host paths. So the zone
// resolves each file's path (client first, then the URI list) and hands the paths along with the files.

import { useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { useClient } from '../api/context';

/**
 * Local file paths named by a `text/uri-list` (RFC 2483): one URI per line, `#` lines are comments. Only
 * file:// URIs with an empty or `localhost` host count: another host's file is not on this machine.
 */
export function pathsFromUriList(uriList: string): string[] {
  const out: string[] = [];
  for (const raw of uriList.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^file:\/\/([^/]*)(\/.*)$/i.exec(line);
    if (!m || (m[1] !== '' && m[1]!.toLowerCase() !== 'localhost')) continue;
    try {
      out.push(decodeURIComponent(m[2]!));
    } catch {
      /* a malformed %-escape names no file we could find */
    }
  }
  return out;
}

/**
 * The host path of each file: what the client says, else the URI-list path with the same base name
 * (matched by name, not by position: nothing promises the two lists are in the same order).
 */
export function resolveDroppedPaths(files: readonly File[], uriPaths: readonly string[], pathForFile: (f: File) => string | undefined): Array<string | undefined> {
  const left = [...uriPaths];
  return files.map((f) => {
    const known = pathForFile(f);
    if (known) return known;
    const i = left.findIndex((p) => p.slice(p.lastIndexOf('/') + 1) === f.name);
    return i < 0 ? undefined : left.splice(i, 1)[0];
  });
}

export interface DropZoneProps {
  label: string;
  hint: string;
  accept: readonly string[];
  multiple?: boolean;
  /** paths[i] is the host path of files[i] when it could be found (see resolveDroppedPaths). */
  onFiles(files: File[], paths: Array<string | undefined>): void;
  testId?: string;
  disabled?: boolean;
}

export function DropZone({ label, hint, accept, multiple, onFiles, testId, disabled }: DropZoneProps) {
  const client = useClient();
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
    if (!files.length) return;
    let uris = '';
    try {
      uris = e.dataTransfer?.getData('text/uri-list') ?? '';
    } catch {
      /* some drag sources refuse getData for types they did not set */
    }
    onFiles(files, resolveDroppedPaths(files, pathsFromUriList(uris), (f) => client.pathForFile(f)));
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
          // The picker gives no URI list: only the client can know these paths.
          if (files.length) onFiles(files, files.map((f) => client.pathForFile(f)));
        }}
      />
    </div>
  );
}
