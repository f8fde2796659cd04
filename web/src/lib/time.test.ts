import { describe, expect, it } from 'vitest';
import { formatDateTime, formatTimeOfDay } from './time.ts';

describe('times carry their zone', () => {
  const at = Date.UTC(2026, 10, 30, 9, 41, 5);
  it('date and time name the zone they are in', () => {
    expect(formatDateTime(at, 'UTC')).toMatch(/2026.*09:41.*UTC/);
    expect(formatDateTime(at, 'Asia/Tokyo')).toMatch(/(18:41|06:41 PM).*(GMT\+9|JST)/);
    expect(formatDateTime(null)).toBe('—');
  });
  it('time of day too', () => {
    expect(formatTimeOfDay(at, 'UTC')).toMatch(/09:41:05.*UTC/);
  });
});
