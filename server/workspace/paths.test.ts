import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, MAX_PATH_LENGTH, MAX_SEGMENT_LENGTH, pathProblem, pathsCollide } from './paths.ts';

describe('pathProblem', () => {
  it.each([
    'a',
    'main.mjs',
    'src/lib/util.ts',
    'notes/plan.md',
    '.gitignore',
    'a..b',
    '..a',
    'dir.with.dots/file',
    'with space/in name.txt',
    'ünïcödé/ファイル.md',
    'C',
    'x'.repeat(MAX_SEGMENT_LENGTH),
    Array.from({ length: MAX_DEPTH }, () => 'd').join('/'),
    Array.from({ length: 3 }, () => 'y'.repeat(MAX_SEGMENT_LENGTH))
      .join('/')
      .slice(0, MAX_PATH_LENGTH),
  ])('accepts %j', (p) => {
    expect(pathProblem(p)).toBeUndefined();
  });

  it.each<[unknown, RegExp]>([
    ['', /required/],
    [undefined, /required/],
    [42, /required/],
    ['../x', /\. or \.\./],
    ['a/../../x', /\. or \.\./],
    ['a/..', /\. or \.\./],
    ['./a', /\. or \.\./],
    ['a/./b', /\. or \.\./],
    ['.', /\. or \.\./],
    ['/etc/passwd', /relative/],
    ['C:/x', /drive letter/],
    ['c:x', /drive letter/],
    ['c:', /drive letter/],
    ['a\\b', /not \\/],
    ['..\\x', /not \\/],
    ['a\u0000b', /control/],
    ['a\nb', /control/],
    ['a\rb', /control/],
    ['a\tb', /control/],
    ['a\u007fb', /control/],
    ['a\u0085b', /control/],
    ['a\u2028b', /control/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['x'.repeat(MAX_PATH_LENGTH + 1), /longer than 255/],
    [Array.from({ length: MAX_DEPTH + 1 }, () => 'd').join('/'), /deeper than 12/],
    [`ok/${'s'.repeat(MAX_SEGMENT_LENGTH + 1)}`, /segment is longer than 100/],
    [' a', /spaces/],
    ['a /b', /spaces/],
    ['e\u0301', /NFC/],
    ['helper\u202Esj.exe', /invisible or text-direction character \(U\+202E\)/],
    ['a\u2066b\u2069', /U\+2066/],
    ['a\u200Bb', /U\+200B/],
    ['a\u200Fb', /U\+200F/],
    ['a\u061Cb', /U\+061C/],
    ['\uFEFFmain.py', /U\+FEFF/],
    ['soft\u00ADhyphen', /U\+00AD/],
    ['tag\u{E0041}', /U\+E0041/],
    ['filler\u3164.py', /U\+3164/],
  ])('refuses %j', (p, reason) => {
    expect(pathProblem(p)).toMatch(reason);
  });
});

describe('pathsCollide', () => {
  it.each([
    ['a', 'a/b'],
    ['a/b', 'a'],
    ['a/b', 'a/b/c/d'],
  ])('%j and %j collide (one is a folder of the other)', (a, b) => {
    expect(pathsCollide(a, b)).toBe(true);
  });

  it.each([
    ['a', 'a'],
    ['a', 'ab'],
    ['a', 'ab/c'],
    ['a/b', 'a/c'],
    ['a.txt', 'a'],
    ['a-b/c', 'a/c'],
  ])('%j and %j do not collide', (a, b) => {
    expect(pathsCollide(a, b)).toBe(false);
  });
});
