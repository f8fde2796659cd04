// @vitest-environment happy-dom
/**
 * The countdown runs on the server's clock: a candidate whose computer clock is wrong still sees the
 * real time left, and the page submits when the server's deadline passes — once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { formatLeft, serverNow, syncClock } from './clock.ts';
import { Header } from '../workspace/header.tsx';
import { Saver } from '../state/saver.ts';

const LOCAL = Date.UTC(2026, 0, 1, 12, 0, 0);
const SKEW = 7 * 60_000; // the server is 7 minutes ahead of this computer

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(LOCAL);
});
afterEach(() => {
  syncClock(Date.now());
  vi.useRealTimers();
});

describe('server-synced clock', () => {
  it('follows the server time from the moment it was synced, as the local clock advances', () => {
    syncClock(LOCAL + SKEW);
    expect(serverNow()).toBe(LOCAL + SKEW);
    vi.advanceTimersByTime(90_000);
    expect(serverNow()).toBe(LOCAL + SKEW + 90_000);
  });

  it('formats time left as h:mm:ss or m:ss, rounding up and never below zero', () => {
    expect(formatLeft(3_909_000)).toBe('1:05:09');
    expect(formatLeft(299_001)).toBe('5:00');
    expect(formatLeft(4_000)).toBe('0:04');
    expect(formatLeft(-5_000)).toBe('0:00');
  });

  it('counts down in server time and submits once when the deadline passes', async () => {
    syncClock(LOCAL + SKEW);
    const deadlineAt = LOCAL + SKEW + 65_000;
    const onDeadline = vi.fn();
    const host = document.createElement('div');
    document.body.append(host);
    const saver = new Saver('clock-test', () => {});
    await act(() =>
      render(
        <Header
          title="Task"
          deadlineAt={deadlineAt}
          saver={saver}
          submitting={false}
          onDeadline={onDeadline}
          onSubmit={() => {}}
        />,
        host,
      ),
    );
    const shown = () => host.querySelector('[data-testid=countdown] strong')!.textContent;
    // Against the local clock 7:05 would be left; the server says 1:05.
    expect(shown()).toBe('1:05');
    expect(host.querySelector('.countdown.urgent')).not.toBeNull();
    await act(() => void vi.advanceTimersByTime(60_000));
    expect(shown()).toBe('0:05');
    expect(onDeadline).not.toHaveBeenCalled();
    await act(() => void vi.advanceTimersByTime(5_000));
    expect(shown()).toBe('0:00');
    expect(onDeadline).toHaveBeenCalledTimes(1);
    await act(() => void vi.advanceTimersByTime(10_000));
    expect(onDeadline).toHaveBeenCalledTimes(1);
    render(null, host);
    saver.dispose();
  });
});
