/** The Tests tab of the run panel: one row per test from the runner's report, failures first. */
import type { Run } from '../lib/api.ts';
import { Icon } from '../ui/icons.tsx';

export type TestResults = NonNullable<Run['tests']>;

const ORDER = { failed: 0, passed: 1, skipped: 2 } as const;

export function TestList({
  report,
  onJump,
}: {
  report: TestResults | null;
  onJump(file: string, line: number): void;
}) {
  if (!report)
    return (
      <p class="muted tests-empty" data-testid="tests-empty">
        Press Run tests: the results of each test are listed here.
      </p>
    );
  const tests = [...report.tests].sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  return (
    <div class="tests" data-testid="tests">
      <p class="tests-summary" data-testid="tests-summary">
        <strong>{report.passed} passed</strong>, {report.failed} failed
        {report.skipped ? `, ${report.skipped} skipped` : ''}
        {report.problem && <span class="warn"> · The report is incomplete: {report.problem}</span>}
      </p>
      <ul>
        {tests.map((t, i) => (
          <li key={i} class={`test test-${t.status}`} data-testid="test" data-status={t.status}>
            <div class="test-row">
              <Icon name={t.status === 'passed' ? 'check' : t.status === 'failed' ? 'cross' : 'skip'} />
              <span class="visually-hidden">{t.status}: </span>
              <span class="test-name" data-testid="test-name">
                {t.name}
              </span>
              {t.durationMs !== null && <span class="muted">{formatMs(t.durationMs)}</span>}
              {t.location && (
                <button
                  type="button"
                  class="link small"
                  data-testid="test-location"
                  onClick={() => onJump(t.location!.file, t.location!.line)}
                >
                  {t.location.file}:{t.location.line}
                </button>
              )}
            </div>
            {t.message && <pre class="test-message">{t.message}</pre>}
          </li>
        ))}
      </ul>
    </div>
  );
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
