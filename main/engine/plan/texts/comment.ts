// Values shown in comments of generated files (node name, URL, paths) must stay on their line: a line
// break in a comment would turn the rest of the value into code. Validation never lets one through;
// this makes the generated texts safe on their own.

export function commentSafe(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
