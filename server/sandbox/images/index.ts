/**
 * Sandbox images: the environments candidate code runs in (`sandboxes/<env>/`). Each image is named
 * by its recipe hash, `worksample-sandbox-<env>:<hash12>`, so the driver asks `imageFor(env)` and
 * either finds exactly that image or tells the operator to run `npm run sandboxes:build`.
 */
import { loadRecipe, projectRoot, type EnvName } from './recipe.ts';

export { environments, type EnvName } from './recipe.ts';
export { buildImages, type BuildOptions, type BuildResult } from './build.ts';

/** The image name (with tag) the current recipe produces for an env. Reads files only; no Docker. */
export async function imageFor(env: EnvName): Promise<string> {
  return (await loadRecipe(env)).image;
}

/** The full recipe hash; `root` (a folder with `sandboxes/` and `node_modules/`) lets tests hash a copy. */
export async function recipeHash(env: EnvName, root: string = projectRoot): Promise<string> {
  return (await loadRecipe(env, root)).hash;
}
