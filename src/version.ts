// The software version, shown by --version and in status.
export const VERSION = '0.1.0';
