// Settings validation's public surface.
export { validateSettings, MAX_CREDENTIALS_BYTES, type ValidateContext } from './validate';
export { parseSettingsInput, settingsInputSchema } from './input-schema';
export { parseRmUrl, DEFAULT_PORTS } from './rm-url';
export { DEFAULT_INSTALL_DIR } from './install-dir';
export { normaliseArch } from './runtime';
