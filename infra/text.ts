/**
 * Text that reaches a terminal or a pull-request comment may carry values from a stack file or a
 * declaration, which a fork controls. Control characters (terminal escapes that move the cursor,
 * recolour or retitle the terminal, C1 controls, and the bidirectional overrides that make text read
 * differently from what it is) are replaced, so what a person sees is what is there. Pure.
 */

/** C0 controls but tab and newline, DEL, C1 controls, and Unicode bidi embedding/override/isolate characters. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character replaced by U+FFFD (visible: something was there). */
export function stripControlChars(text: string): string {
  return text.replace(CONTROL, "\uFFFD");
}
