/**
 * Bulk invitations from a pasted or uploaded `name,email` file (with a header row, an optional
 * `external id` column carries the ATS's id). Every row is checked before anything
 * is written; good rows are created together (one transaction) and bad rows are reported by line.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { InvitationsTable } from '../db/index.ts';
import { emailSchema } from '../users/index.ts';
import { parseCsv, type CsvRecord } from './csv.ts';
import { queueInvitationEmail } from '../email/index.ts';
import {
  externalIdSchema,
  invitationLink,
  invitationRow,
  assessmentOf,
  newInvitationSchema,
  resolvePinned,
  type InvitationView,
} from './invitations.ts';

export const MAX_BULK_ROWS = 500;
export const MAX_BULK_CSV_CHARS = 256 * 1024;

export interface BulkInput {
  /** Exactly one of taskSlug and assessmentSlug. */
  taskSlug?: string | undefined;
  taskVersion?: number | undefined;
  assessmentSlug?: string | undefined;
  assessmentVersion?: number | undefined;
  csv: string;
  expiresInDays?: number | undefined;
  /** Email each link (when SMTP_URL is set); default true. */
  sendEmail?: boolean | undefined;
}

export interface BulkResult {
  created: Array<{ invitation: InvitationView; link: string; emailed: boolean }>;
  errors: Array<{ line: number; message: string }>;
}

const NAME_HEADER = /^(candidate )?(full )?name$/;
const EMAIL_HEADER = /^(candidate )?e-?mail( address)?$/;
const EXTERNAL_HEADER = /^external[ _-]?id$/;

/** Column positions: from a header row when the first record is one, else `name,email`. */
function columns(records: CsvRecord[]) {
  const first = records[0]?.fields.map((f) => f.trim().toLowerCase()) ?? [];
  const name = first.findIndex((f) => NAME_HEADER.test(f));
  const email = first.findIndex((f) => EMAIL_HEADER.test(f));
  const external = first.findIndex((f) => EXTERNAL_HEADER.test(f));
  if (name >= 0 && email >= 0) return { header: true, name, email, external, width: first.length };
  return { header: false, name: 0, email: 1, external: -1, width: 2 };
}

const shown = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);

/**
 * Creates one invitation per valid row. Refuses the whole file (400, nothing created) when it is
 * empty, too long, or has no valid row; otherwise answers with what was created and what was not.
 */
export async function bulkInvite(
  ctx: ServiceContext,
  input: BulkInput,
  createdBy: string | null,
): Promise<BulkResult> {
  const expires = newInvitationSchema.shape.expiresInDays.safeParse(input.expiresInDays);
  if (!expires.success)
    throw new AppError('validation_failed', `expiresInDays: ${expires.error.issues[0]!.message}`);
  if (input.csv.length > MAX_BULK_CSV_CHARS)
    throw new AppError('validation_failed', `csv: the file is larger than ${MAX_BULK_CSV_CHARS} characters`);
  const { version, assessment } = await resolvePinned(ctx, input);

  const records = parseCsv(input.csv);
  const cols = columns(records);
  const rows = cols.header ? records.slice(1) : records;
  if (!rows.length)
    throw new AppError('validation_failed', 'csv: no rows; expected one "name,email" line per candidate');
  if (rows.length > MAX_BULK_ROWS)
    throw new AppError(
      'validation_failed',
      `csv: ${rows.length} rows; at most ${MAX_BULK_ROWS} per upload, split the file`,
    );

  const errors: BulkResult['errors'] = [];
  const firstLineOf = new Map<string, number>();
  const good: Array<{ line: number; candidateName: string; candidateEmail: string; externalId?: string }> =
    [];
  for (const r of rows) {
    const problem = rowProblem(r, cols.width);
    if (problem) {
      errors.push({ line: r.line, message: problem });
      continue;
    }
    const name = r.fields[cols.name]!.trim();
    const rawEmail = r.fields[cols.email]!;
    const email = emailSchema.safeParse(rawEmail);
    const rawExternal = cols.external >= 0 ? r.fields[cols.external]!.trim() : '';
    const external = rawExternal ? externalIdSchema.safeParse(rawExternal) : undefined;
    if (!name) errors.push({ line: r.line, message: 'name is missing' });
    else if (name.length > 200) errors.push({ line: r.line, message: 'name is longer than 200 characters' });
    else if (!email.success)
      errors.push({
        line: r.line,
        message: `email ${shown(rawEmail.trim())}: ${email.error.issues[0]!.message}`,
      });
    else if (external && !external.success)
      errors.push({ line: r.line, message: `external id: ${external.error.issues[0]!.message}` });
    else if (firstLineOf.has(email.data))
      errors.push({
        line: r.line,
        message: `duplicate email ${email.data} (first on line ${firstLineOf.get(email.data)})`,
      });
    else {
      firstLineOf.set(email.data, r.line);
      good.push({
        line: r.line,
        candidateName: name,
        candidateEmail: email.data,
        ...(external?.data ? { externalId: external.data } : {}),
      });
    }
  }
  if (!good.length) {
    const sample = errors
      .slice(0, 3)
      .map((e) => `line ${e.line}: ${e.message}`)
      .join('; ');
    throw new AppError('validation_failed', `no invitation created; every row has a problem: ${sample}`, {
      errors,
    });
  }

  const made = good.map((g) =>
    invitationRow(
      ctx,
      version,
      { ...g, expiresInDays: expires.data },
      createdBy,
      'candidate',
      assessment?.id ?? null,
    ),
  );
  const emailed = new Set<string>();
  await ctx.db.transaction().execute(async (trx) => {
    // Chunks keep each statement well under the drivers' bound-parameter limits.
    for (let i = 0; i < made.length; i += 100) {
      const chunk: InvitationsTable[] = made.slice(i, i + 100).map((m) => m.row);
      await trx.insertInto('invitations').values(chunk).execute();
    }
    if (input.sendEmail === false) return;
    for (const { row, token } of made) {
      const link = invitationLink(ctx, token);
      if (await queueInvitationEmail(ctx, trx, { invitationId: row.id, link, kind: 'invitation' }))
        emailed.add(row.id);
    }
  });
  if (emailed.size) ctx.mail?.kick();
  return {
    created: made.map(({ row, token }) => ({
      invitation: {
        id: row.id,
        candidateName: row.candidate_name,
        candidateEmail: row.candidate_email,
        taskSlug: version.slug,
        taskVersion: version.version,
        taskVersionId: version.id,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        status: 'invited',
        attemptId: null,
        externalId: row.external_id ?? null,
        assessment: assessmentOf(assessment),
      },
      link: invitationLink(ctx, token),
      emailed: emailed.has(row.id),
    })),
    errors,
  };
}

function rowProblem(r: CsvRecord, width: number): string | undefined {
  if (r.problem) return r.problem;
  if (r.fields.length === width) return undefined;
  const hint =
    r.fields.length > width ? '; put a name that contains a comma in double quotes ("Lovelace, Ada")' : '';
  return `expected ${width} fields (name,email), found ${r.fields.length}${hint}`;
}
