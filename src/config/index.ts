// Public API of the configuration module.
export { type ConfigDiff, diffConfig, type SetDiff } from './diff.js';
export { formatDurationMs, parseDurationMs } from './duration.js';
export { type ConfigError, type ConfigErrorCode, formatConfigError } from './errors.js';
export { type LoadResult, loadConfigFile, type ParseOptions, parseConfigText } from './load.js';
export * from './model.js';
export { configSchema } from './schema.js';
