// Defaults the user sees in help texts and the app; validation applies the same ones.
export const DEFAULT_INSTALL_DIR = '/opt/proactive';
export const DEFAULT_SERVICE_NAME = 'proactive-node';
export const DEFAULT_SERVICE_USER = 'proactive';
export const DEFAULT_NODE_SOURCE = 'Default';
