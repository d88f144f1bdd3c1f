// Quoting for each target format. (The parsers that read them back, for tests, are in roundtrip.ts.)
export { gfQuote, renderCommand, GF_MAX_LINE } from './guestfish';
export { shQuote, shWord, shCommandLine } from './sh';
export { systemdValue, systemdExecArg, systemdExecLine, unitTableField } from './systemd';
export { regText, regValueLine, regQuote, parseRegText, findRegKey, compareRegValues } from './reg';
export { cmdValue, cmdQuote } from './cmd';
