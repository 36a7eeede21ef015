import { SIGNATURE_MAX_CHARS } from "./html-sanitizer";

/**
 * Longest `html` and `value` of a legacy setting (characters): the HTTP schema and the settings service
 * both check it before any of the text is sanitized or parsed.
 */
export const SETTING_TEXT_MAX_CHARS = SIGNATURE_MAX_CHARS;

/** The message (after the field name) for a text over SETTING_TEXT_MAX_CHARS. */
export const SETTING_TEXT_TOO_LONG = `must be at most ${SETTING_TEXT_MAX_CHARS} characters (64 KiB)`;

/** Longest `name` of a legacy setting (characters). */
export const SETTING_NAME_MAX_CHARS = 256;

/** The message (after the field name) for a name over SETTING_NAME_MAX_CHARS. */
export const SETTING_NAME_TOO_LONG = `must be at most ${SETTING_NAME_MAX_CHARS} characters`;

/**
 * Additional (unknown) properties of a legacy setting are stored and echoed by every read, so they are
 * bounded: how many, how long their names, how deeply their values nest, and the size of their JSON.
 */
export const SETTING_EXTRA_LIMITS = {
  maxProperties: 32,
  maxNameChars: 64,
  /** Objects and arrays inside one property's value: `{"a": {"b": [1]}}` nests 2 deep under `a`. */
  maxDepth: 8,
  /** UTF-8 bytes of the JSON of all additional properties together, as stored. */
  maxBytes: 8 * 1024,
} as const;
