/**
 * Editor correctness: every shipped code task's starter and reference solution open in Monaco with
 * zero errors — TypeScript errors for node tasks (Node's types, the openai SDK's, `.ts` imports and
 * `node:` modules resolve as they do in the sandbox), syntax errors for Python tasks. The count is what
 * the editor's status line shows once the checker has answered for the open file; a planted error
 * proves the count is live (and, for Python, that its red underline sits on the line typed).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { repoRoot } from '../helpers/process.ts';
import { attemptId, hasChromium, openBrowser, saved, typeInEditor, startEnv, type Env } from './harness.ts';

const SCRIPT = /\.(m|c)?[jt]sx?$/;
const PYTHON = /\.py$/;

function codeTasks(image: string): string[] {
  return readdirSync(path.join(repoRoot, 'tasks')).filter((t) => {
    const yaml = path.join(repoRoot, 'tasks', t, 'task.yaml');
    const m = parse(readFileSync(yaml, 'utf8')) as { kind: string; environment?: { image: string } };
    return m.kind === 'code' && m.environment?.image === image;
  });
}
/** Shipped code tasks whose sandbox runs TypeScript/JavaScript. */
const nodeTasks = codeTasks('node');
/** Shipped code tasks whose sandbox runs Python (the editor checks syntax only). */
const pythonTasks = codeTasks('python');

function filesUnder(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel)).flatMap((name) => {
    const r = rel ? `${rel}/${name}` : name;
    return statSync(path.join(dir, r)).isDirectory() ? filesUnder(dir, r) : [r];
  });
}

async function errorsIn(page: Page, file: string): Promise<number> {
  await page.getByTestId('file-tree').getByRole('button', { name: file, exact: true }).click();
  await page.locator(`[data-testid=editor][data-path="${file}"]`).waitFor();
  const status = page.locator('[data-testid=problems]:not([data-errors=""])');
  await status.waitFor({ timeout: 30_000 });
  return Number(await status.getAttribute('data-errors'));
}

/** Line numbers (as the gutter shows them) of the lines Monaco underlines as errors. */
async function squigglyLines(page: Page): Promise<number[]> {
  await page.locator('.monaco-editor .squiggly-error').first().waitFor();
  const tops = async (selector: string) =>
    Promise.all(
      (await page.locator(selector).all()).map(async (l) => ({
        y: (await l.boundingBox())!.y,
        text: await l.innerText(),
      })),
    );
  const squiggles = await tops('.monaco-editor .squiggly-error');
  const numbers = await tops('.monaco-editor .margin-view-overlays .line-numbers');
  return squiggles.map((s) => {
    const n = numbers.find((g) => Math.abs(g.y - s.y) < 4);
    return n ? Number(n.text) : NaN;
  });
}

describe.runIf(hasChromium())('Monaco shows no false errors on shipped code', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv([...nodeTasks, ...pythonTasks].map((t) => `tasks/${t}`));
  });
  afterAll(async () => {
    await env?.close();
  });

  it('finds node code tasks to check', () => {
    expect(nodeTasks).toEqual(expect.arrayContaining(['hello-llm', 'ticket-triage']));
    expect(pythonTasks).toEqual(expect.arrayContaining(['eval-harness', 'rag-citations']));
  });

  for (const task of [...nodeTasks, ...pythonTasks]) {
    const python = pythonTasks.includes(task);
    const CODE = python ? PYTHON : SCRIPT;
    it(`${task}: starter and solution have zero error markers`, { timeout: 180_000 }, async () => {
      const b = await openBrowser(env.server.url);
      try {
        const { page } = b;
        await page.goto(await env.invite(task, `${task}@example.com`));
        await page.getByTestId('start').click();
        await page.locator('body[data-editor-ready=true]').waitFor();

        const starterDir = path.join(repoRoot, 'tasks', task, 'starter');
        const starter = filesUnder(starterDir).filter((f) => CODE.test(f));
        expect(starter.length).toBeGreaterThan(0);
        const found: Record<string, number> = {};
        for (const f of starter) found[f] = await errorsIn(page, f);

        // The count is live: a planted error shows, and removing it clears it.
        await errorsIn(page, starter[0]!);
        if (python) {
          // Typed on a new line after the file's last one (the file ends with a newline).
          const line = readFileSync(path.join(starterDir, starter[0]!), 'utf8').split('\n').length + 1;
          await typeInEditor(page, '\nx = = 1');
          await page.locator('[data-testid=problems][data-errors="1"]').waitFor({ timeout: 30_000 });
          expect(await squigglyLines(page)).toEqual([line]);
        } else {
          await typeInEditor(page, '\nconst planted: number = "not a number";\n');
          await page.locator('[data-testid=problems][data-errors="1"]').waitFor({ timeout: 30_000 });
          await page.keyboard.press('ArrowUp');
        }
        await page.keyboard.press('Control+Shift+K');
        await page.locator('[data-testid=problems][data-errors="0"]').waitFor({ timeout: 30_000 });
        await saved(page);

        // The reference solution, written into the workspace as a candidate would.
        const id = await attemptId(page);
        const { csrfToken } = (await (await page.request.get('/api/candidate')).json()) as {
          csrfToken: string;
        };
        const solutionDir = path.join(repoRoot, 'tasks', task, 'solution');
        const solution = filesUnder(solutionDir).filter((f) => CODE.test(f));
        expect(solution.length).toBeGreaterThan(0);
        const files = (await (await page.request.get(`/api/attempts/${id}/files`)).json()) as {
          files: { path: string; revision: number }[];
        };
        for (const f of solution) {
          const r = await page.request.put(`/api/attempts/${id}/file`, {
            headers: { 'x-csrf-token': csrfToken },
            data: {
              path: f,
              content: readFileSync(path.join(solutionDir, f), 'utf8'),
              baseRevision: files.files.find((x) => x.path === f)?.revision ?? 0,
            },
          });
          expect(r.status(), await r.text()).toBeLessThan(300);
        }
        await page.reload();
        await page.locator('body[data-editor-ready=true]').waitFor();
        for (const f of solution) found[`solution/${f}`] = await errorsIn(page, f);

        expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, 0])));
      } finally {
        await b.close();
      }
    });
  }
});
