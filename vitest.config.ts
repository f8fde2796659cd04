import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'tests/**/*.test.ts', 'web/src/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'tasks/**', 'web/dist/**', 'data/**'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
