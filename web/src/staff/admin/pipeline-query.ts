/**
 * The pipeline's filters, search, sort and page as URL query text, both ways: what the admin chose is
 * in the address (reload, back, a shared link show the same list) and is what the API is asked.
 */
// One vocabulary with the server's query (a dependency-free module).
export {
  DECISIONS,
  PIPELINE_SORTS as SORTS,
  PIPELINE_STAGES as STAGES,
} from '../../../../server/pipeline/constants.ts';
import {
  DECISIONS,
  PIPELINE_SORTS as SORTS,
  PIPELINE_STAGES as STAGES,
  type PipelineSort as Sort,
  type PipelineStage as Stage,
} from '../../../../server/pipeline/constants.ts';
export type { Sort, Stage };

export interface PipelineState {
  stage: Stage[];
  task: string;
  reviewer: string;
  unassigned: boolean;
  decision: '' | (typeof DECISIONS)[number];
  q: string;
  sort: Sort;
  dir: 'asc' | 'desc';
  page: number;
  pageSize: number;
}

export const DEFAULTS: PipelineState = {
  stage: [],
  task: '',
  reviewer: '',
  unassigned: false,
  decision: '',
  q: '',
  sort: 'invited',
  dir: 'desc',
  page: 1,
  pageSize: 50,
};

const oneOf = <T extends string>(list: readonly T[], v: string | null, fallback: T): T =>
  v !== null && (list as readonly string[]).includes(v) ? (v as T) : fallback;
const int = (v: string | null, fallback: number, max: number) => {
  const n = Number(v);
  return v && Number.isInteger(n) && n >= 1 && n <= max ? n : fallback;
};

/** The state a query string stands for; anything unknown falls back to the default. */
export function fromSearch(search: string): PipelineState {
  const p = new URLSearchParams(search);
  return {
    stage: (p.get('stage') ?? '')
      .split(',')
      .filter((s): s is Stage => (STAGES as readonly string[]).includes(s)),
    task: p.get('task') ?? '',
    reviewer: p.get('reviewer') ?? '',
    unassigned: p.get('unassigned') === 'true',
    decision: oneOf(['', ...DECISIONS], p.get('decision'), ''),
    q: p.get('q') ?? '',
    sort: oneOf(SORTS, p.get('sort'), DEFAULTS.sort),
    dir: oneOf(['asc', 'desc'], p.get('dir'), DEFAULTS.dir),
    page: int(p.get('page'), 1, 100_000),
    pageSize: int(p.get('pageSize'), DEFAULTS.pageSize, 200),
  };
}

/** The query string for a state: only what differs from the defaults (also the API's query). */
export function toSearch(s: PipelineState): string {
  const p = new URLSearchParams();
  if (s.stage.length) p.set('stage', s.stage.join(','));
  if (s.task) p.set('task', s.task);
  if (s.reviewer) p.set('reviewer', s.reviewer);
  if (s.unassigned) p.set('unassigned', 'true');
  if (s.decision) p.set('decision', s.decision);
  if (s.q.trim()) p.set('q', s.q.trim());
  if (s.sort !== DEFAULTS.sort) p.set('sort', s.sort);
  if (s.dir !== DEFAULTS.dir) p.set('dir', s.dir);
  if (s.page !== 1) p.set('page', String(s.page));
  if (s.pageSize !== DEFAULTS.pageSize) p.set('pageSize', String(s.pageSize));
  const text = p.toString();
  return text ? `?${text}` : '';
}
