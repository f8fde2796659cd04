// Checks the answer key against the answer: every span in key/flaws.yaml occurs
// exactly once, verbatim, in outputs/answer.md, and every category is one the task
// declares. Run from anywhere: node tasks/critique-support-bot/key/check-spans.mjs
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const at = (rel) => fileURLToPath(new URL(rel, import.meta.url));
const answer = readFileSync(at('../outputs/answer.md'), 'utf8');
const key = YAML.parse(readFileSync(at('./flaws.yaml'), 'utf8'));
const manifest = YAML.parse(readFileSync(at('../task.yaml'), 'utf8'));
const categories = new Set(manifest.critique.categories);

const count = (span) => answer.split(span).length - 1;
const problems = [];
const check = (where, span) => {
  const n = count(span);
  console.log(`${n === 1 ? 'ok  ' : 'FAIL'} ${where}: ${JSON.stringify(span)} (${n}x)`);
  if (n !== 1) problems.push(where);
};

for (const f of key.flaws) {
  check(`${f.id}.span`, f.span);
  (f.alsoAt ?? []).forEach((s, i) => check(`${f.id}.alsoAt[${i}]`, s));
  for (const c of [f.category, ...(f.acceptAlso ?? [])]) {
    if (!categories.has(c)) problems.push(`${f.id}: category "${c}" not in critique.categories`);
  }
}
key.notFlaws.forEach((d, i) => check(`notFlaws[${i}]`, d.span));
(key.defensible ?? []).forEach((d, i) => {
  if (typeof d === 'object' && d !== null) check(`defensible[${i}]`, d.span);
});

console.log(
  `${key.flaws.length} flaws, categories: ${[...new Set(key.flaws.map((f) => f.category))].join(', ')}`,
);
if (problems.length > 0) {
  console.error(`FAILED: ${problems.join('; ')}`);
  process.exit(1);
}
console.log('all spans occur exactly once');
