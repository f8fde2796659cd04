import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  // The web app's components are Preact (as in web/vite.config.ts) for the web unit tests.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: {
    include: ['server/**/*.test.ts', 'tests/**/*.test.ts', 'web/**/*.test.ts', 'web/**/*.test.tsx'],
    exclude: [...configDefaults.exclude, 'tasks/**', 'web/dist/**', 'data/**'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
