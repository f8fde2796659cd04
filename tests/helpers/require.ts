/**
 * CI sets WORKSAMPLE_REQUIRE (a comma list, e.g. "postgres,docker,chromium,compose") to say which
 * external dependencies it provides. A test that would skip because one of them is missing fails
 * instead, so a broken CI machine cannot turn into a quietly green, mostly-skipped run.
 */
export type Dependency = 'postgres' | 'docker' | 'chromium' | 'compose';

/** Which external dependencies CI demands; a test that would skip for lack of one fails instead. */
export function required(name: Dependency, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.WORKSAMPLE_REQUIRE ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .includes(name);
}

/**
 * Use in a describe: returns true if the suite should run (the dependency is available), false if
 * it should be skipped; throws when the dependency is missing but required.
 *
 *   describe.runIf(needs('postgres', Boolean(process.env.TEST_DATABASE_URL), 'set TEST_DATABASE_URL'))(…)
 */
export function needs(
  name: Dependency,
  available: boolean,
  howToProvide: string,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (available) return true;
  if (required(name, env)) {
    throw new Error(
      `Required dependency "${name}" is not available (WORKSAMPLE_REQUIRE=${env.WORKSAMPLE_REQUIRE}). ` +
        `To provide it: ${howToProvide}`,
    );
  }
  return false;
}
