// The JSON Schema validator, loaded the cheap way. ajv compiles a schema into a function
// at run time; for vrrpd's schema that is 0.15 to 0.3 s of every start (check-config, run,
// reload) and most of a small file's load time, plus loading ajv's compiler. `npm run
// build` writes the same function as generated code beside this module
// (validator-source.ts), tagged with a digest of the schema and options it came from.
// It is used when the digest matches; otherwise (a run from source, a stale build, a
// bundle without it) the schema is compiled here, so a missing file costs time, never
// correctness.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv, Options, ValidateFunction } from 'ajv';
import { configSchema } from './schema.js';

export const AJV_OPTIONS: Options = {
  allErrors: true,
  useDefaults: true,
  allowUnionTypes: true,
  verbose: true,
  strict: true,
};

/** the generated file's name, beside this module */
export const SCHEMA_VALIDATOR_FILE = 'schema-validator.generated.cjs';

let digest: string | undefined;
/** identifies the schema and options a generated validator was made from */
export function schemaDigest(): string {
  digest ??= createHash('sha256')
    .update(JSON.stringify([configSchema, AJV_OPTIONS]))
    .digest('hex')
    .slice(0, 32);
  return digest;
}

const require = createRequire(import.meta.url);
let validate: ValidateFunction | undefined;

/** The generated validator if current, else one compiled now; kept for the process. */
export function schemaValidator(): ValidateFunction {
  if (validate) return validate;
  try {
    const generated = require(`./${SCHEMA_VALIDATOR_FILE}`) as ValidateFunction & { digest?: string };
    if (typeof generated === 'function' && generated.digest === schemaDigest()) validate = generated;
  } catch {
    // not generated: compile below
  }
  validate ??= compileSchemaValidator();
  return validate;
}

export function compileSchemaValidator(extra: Options = {}): ValidateFunction & { ajv?: Ajv } {
  const { Ajv: AjvClass } = require('ajv') as { Ajv: new (o: Options) => Ajv };
  const ajv = new AjvClass({ ...AJV_OPTIONS, ...extra });
  return Object.assign(ajv.compile(configSchema), { ajv });
}
