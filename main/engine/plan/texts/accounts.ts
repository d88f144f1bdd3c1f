// The account files (/etc/passwd, /etc/shadow, /etc/group, /etc/gshadow): taking out the lines of a user
// (or group) that Guestprep's boot service created at first boot. Every other byte stays as it was: the
// order of the lines, their ends, a missing final newline.

/** `name` must be a user name Guestprep accepts (settings/names.ts): no regular expression characters. */
export function removeAccountLines(text: string, name: string): string {
  if (!/^[a-z_][a-z0-9_-]*$/.test(name)) throw new Error(`unexpected account name ${JSON.stringify(name)}`);
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const kept = lines.filter((l) => !l.startsWith(`${name}:`));
  // The last line had no newline and went: the new last line keeps its own (it had one), as the tools write.
  return kept.join('');
}
