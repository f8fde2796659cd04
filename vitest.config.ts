import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test files under server/ and web/ that are cross-process after all (they spawn processes of their
 * own): they run with the integration project, one file at a time.
 */
const crossProcessBesideCode = ['server/sandbox/images/lock.test.ts'];

export default defineConfig({
  // The web app's components are Preact (as in web/vite.config.ts) for the web unit tests.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: {
    exclude: [...configDefaults.exclude, 'tasks/**', 'web/dist/**', 'data/**'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    // Two groups, one after the other (sequence.groupOrder), so they never compete for the machine:
    // - unit: in-process tests beside the code (an app over SQLite or its own Postgres database, fakes,
    //   loopback listeners on port 0, happy-dom), two files at a time;
    // - integration: tests/ (real CLI and server processes, Docker, Chromium, docker-compose), one file
    //   at a time, as their timings and the engine's capacity assume.
    // `vitest run <file>` runs a file in whichever project includes it.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['server/**/*.test.ts', 'web/**/*.test.ts', 'web/**/*.test.tsx'],
          exclude: [
            ...configDefaults.exclude,
            'tasks/**',
            'web/dist/**',
            'data/**',
            ...crossProcessBesideCode,
          ],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/**/*.test.ts', ...crossProcessBesideCode],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
