// Reading a registry hive through guestfish's hivex commands (hivex-open must have run in the session):
// shared by the Windows inspection (windows.ts) and the quick Windows inspection (quick-windows.ts).
//
// guestfish prints hivex-value-value (a binary buffer) raw, NULs included, and our session decodes
// output as UTF-8, which would mangle bytes >= 0x80. So binary values are piped through the host's `od`
// (guestfish's `cmd | shell` syntax) and read back as hex; the same goes for pread-device.

import type { GuestfishSession } from '../guestfish/session';

// Registry value types (winnt.h).
export const REG_SZ = 1;
export const REG_EXPAND_SZ = 2;
export const REG_BINARY = 3;
export const REG_DWORD = 4;

/** guestfish prints hivex handle lists as `[0] = {\n  hivex_node_h: 1234\n}`: the handles, in order. */
export function parseHivexHandles(text: string): number[] {
  return [...text.matchAll(/hivex_(?:node|value)_h: (\d+)/g)].map((m) => Number(m[1]));
}

/** guestfish prints hashtables as `key: value` lines (drive mappings `C: /dev/sda2`, mountpoints `/dev/sda2: /`). */
export function parseHashtable(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    const i = l.indexOf(': ');
    if (i > 0) out.push([l.slice(0, i), l.slice(i + 2)]);
  }
  return out;
}

/** `od -An -tx1` output -> bytes. */
export function parseOdBytes(text: string): Buffer {
  const hex = text.match(/\b[0-9a-f]{2}\b/gi) ?? [];
  return Buffer.from(hex.map((h) => parseInt(h, 16)));
}

/** ControlSet%03d, as Windows (and libguestfs) name the set Select\Current points to. */
export function controlSetName(n: number): string {
  return `ControlSet${String(n).padStart(3, '0')}`;
}

/** The root key of the open hive, or 0. */
export async function hiveRoot(s: GuestfishSession): Promise<number> {
  const r = await s.exec(['hivex-root'], { tolerate: true });
  return r.ok ? Number(r.output.trim()) || 0 : 0;
}

/** hivex-node-get-child: the child's handle, or 0 when there is no such key (hivex returns 0, not an error). */
export async function child(s: GuestfishSession, node: number, name: string): Promise<number> {
  if (node === 0) return 0;
  const r = await s.exec(['hivex-node-get-child', String(node), name], { tolerate: true });
  return r.ok ? Number(r.output.trim()) || 0 : 0;
}

/** The key at this path under `node` (each step one hivex-node-get-child), or 0 when a step is missing. */
export async function keyAt(s: GuestfishSession, node: number, path: string[]): Promise<number> {
  let n = node;
  for (const name of path) n = await child(s, n, name);
  return n;
}

/** hivex-node-get-value: the value's handle, or 0 when absent. */
export async function valueHandle(s: GuestfishSession, node: number, key: string): Promise<number> {
  if (node === 0) return 0;
  const r = await s.exec(['hivex-node-get-value', String(node), key], { tolerate: true });
  return r.ok ? Number(r.output.trim()) || 0 : 0;
}

export async function valueType(s: GuestfishSession, value: number): Promise<number> {
  const r = await s.exec(['hivex-value-type', String(value)], { tolerate: true });
  return r.ok ? Number(r.output.trim()) : -1;
}

/** The name of a value, or undefined. */
export async function valueKey(s: GuestfishSession, value: number): Promise<string | undefined> {
  const r = await s.exec(['hivex-value-key', String(value)], { tolerate: true });
  return r.ok ? r.output.replace(/\n$/, '') : undefined;
}

/** The raw data of a value, or undefined when it cannot be read. */
export async function valueBytes(s: GuestfishSession, value: number): Promise<Buffer | undefined> {
  if (value === 0) return undefined;
  // The handle is a number we got from hivex, so the line needs no quoting; `| od` runs on the host.
  const r = await s.execRaw(`hivex-value-value ${Math.trunc(value)} | od -An -tx1 -v`, true);
  return r.ok ? parseOdBytes(r.output) : undefined;
}

/** A DWORD value, or undefined when it is absent or not 4 bytes. */
export async function valueDword(s: GuestfishSession, value: number): Promise<number | undefined> {
  const bytes = await valueBytes(s, value);
  return bytes && bytes.length === 4 ? bytes.readUInt32LE(0) : undefined;
}

/** A string value (REG_SZ, REG_EXPAND_SZ, ...), or undefined. */
export async function valueString(s: GuestfishSession, value: number): Promise<string | undefined> {
  if (value === 0) return undefined;
  const r = await s.exec(['hivex-value-string', String(value)], { tolerate: true });
  return r.ok ? r.output.replace(/\n$/, '') : undefined;
}

/** The values of a key (handles), in registry order. */
export async function nodeValues(s: GuestfishSession, node: number): Promise<number[]> {
  if (node === 0) return [];
  const r = await s.exec(['hivex-node-values', String(node)], { tolerate: true });
  return r.ok ? parseHivexHandles(r.output) : [];
}

/** `size` bytes of a whole disk at `offset` (a device name from list-devices), or undefined. */
export async function preadDevice(s: GuestfishSession, device: string, size: number, offset: number): Promise<Buffer | undefined> {
  // Only a plain device name goes into the raw line (list-devices gives nothing else).
  if (!/^\/dev\/[a-z]+$/.test(device)) return undefined;
  const r = await s.execRaw(`pread-device ${device} ${Math.trunc(size)} ${Math.trunc(offset)} | od -An -tx1 -v`, true);
  return r.ok ? parseOdBytes(r.output) : undefined;
}
