/**
 * Workspace path rules. Stops path traversal and hostile file names: every path a candidate sends
 * is relative, already normalised, free of `..`, NUL and control characters, and bounded in length,
 * so it is safe to use as a key here and, later, as a file name inside a sandbox. Invisible and
 * text-direction characters (Unicode format characters: bidi overrides and isolates, zero-width
 * characters, BOM, soft hyphen, tag characters, and the invisible Hangul fillers) are refused too:
 * they make a name render as another (Trojan Source, CVE-2021-42574: `helper\u202Esj.exe` shows as
 * "helperexe.js" in a reviewer's file tree).
 */
export const MAX_PATH_LENGTH = 255;
export const MAX_SEGMENT_LENGTH = 100;
export const MAX_DEPTH = 12;

// \p{Cf}: every format character (U+00AD, U+061C, U+180E, U+200B–200F, U+202A–202E, U+2060–206F,
// U+FEFF, U+FFF9–FFFB, tags U+E0001–E007F, …); plus the invisible Hangul fillers.
const INVISIBLE = /[\p{Cf}\u115F\u1160\u3164\uFFA0]/u;
const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Returns why `p` is not an acceptable workspace path, or undefined when it is. */
export function pathProblem(p: unknown): string | undefined {
  if (typeof p !== 'string' || p.length === 0) return 'path is required';
  if (p.length > MAX_PATH_LENGTH) return `path is longer than ${MAX_PATH_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(p)) return 'path contains control characters';
  const invisible = INVISIBLE.exec(p);
  if (invisible)
    return `path contains an invisible or text-direction character (${codePoint(invisible[0])}); such characters can make a file name look like another`;
  if (p.includes('\\')) return 'use / to separate folders, not \\';
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p))
    return 'path must be relative to the workspace (no leading / or drive letter)';
  if (p !== p.normalize('NFC')) return 'path must be in Unicode NFC form';
  const segments = p.split('/');
  if (segments.length > MAX_DEPTH) return `path is nested deeper than ${MAX_DEPTH} folders`;
  for (const s of segments) {
    if (s === '') return 'path has an empty segment (leading, trailing or double /)';
    if (s === '.' || s === '..') return 'path may not contain . or .. segments';
    if (s.length > MAX_SEGMENT_LENGTH)
      return `a path segment is longer than ${MAX_SEGMENT_LENGTH} characters`;
    if (s !== s.trim()) return 'path segments may not start or end with spaces';
  }
  return undefined;
}

/** True when one path is a folder prefix of the other (a file "a" and a file "a/b" cannot both exist). */
export function pathsCollide(a: string, b: string): boolean {
  return a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
