import { describe, expect, it } from 'vitest';
import { needs, required } from './require.ts';

describe('required', () => {
  it('reads the comma list from WORKSAMPLE_REQUIRE', () => {
    const env = { WORKSAMPLE_REQUIRE: 'postgres, Docker,,chromium' };
    expect(required('postgres', env)).toBe(true);
    expect(required('docker', env)).toBe(true);
    expect(required('chromium', env)).toBe(true);
    expect(required('compose', env)).toBe(false);
  });

  it('requires nothing when unset or empty', () => {
    expect(required('postgres', {})).toBe(false);
    expect(required('postgres', { WORKSAMPLE_REQUIRE: '' })).toBe(false);
  });
});

describe('needs', () => {
  it('runs when the dependency is available, required or not', () => {
    expect(needs('docker', true, 'start dockerd', {})).toBe(true);
    expect(needs('docker', true, 'start dockerd', { WORKSAMPLE_REQUIRE: 'docker' })).toBe(true);
  });

  it('skips when missing and not required', () => {
    expect(needs('docker', false, 'start dockerd', { WORKSAMPLE_REQUIRE: 'postgres' })).toBe(false);
  });

  it('throws, naming the dependency and the fix, when missing and required', () => {
    expect(() => needs('docker', false, 'start dockerd', { WORKSAMPLE_REQUIRE: 'postgres,docker' })).toThrow(
      /"docker" is not available.*start dockerd/,
    );
  });
});
