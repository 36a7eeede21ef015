import { SIGNATURE_MAX_CHARS } from "./html-sanitizer";

/**
 * Longest `html` and `value` of a legacy setting (characters): the HTTP schema and the settings service
 * both check it before any of the text is sanitized or parsed.
 */
export const SETTING_TEXT_MAX_CHARS = SIGNATURE_MAX_CHARS;

/** The message (after the field name) for a text over SETTING_TEXT_MAX_CHARS. */
export const SETTING_TEXT_TOO_LONG = `must be at most ${SETTING_TEXT_MAX_CHARS} characters (64 KiB)`;
