/** The file name of a host path, Unix or Windows: rows name images by file, with the full path beside. */
export const basename = (p: string): string => p.split(/[\\/]/).pop() || p;
