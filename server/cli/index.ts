/**
 * The `worksample` verbs. Each opens the configured database directly and calls the same service
 * verbs as the HTTP API. Usage errors exit 2, failures 1, always with one clear line.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config/index.ts';
import { AppError } from '../errors/index.ts';
import { openDatabase } from '../db/index.ts';
import { createLogger } from '../logger/index.ts';
import { randomIds, systemClock, type ServiceContext } from '../platform/index.ts';
import { createUser, roles, type Role } from '../users/index.ts';
import { importTask, listTasks, loadTaskDir } from '../tasks/index.ts';
import { importAssessment, listAssessments, loadAssessmentDir } from '../assessments/index.ts';
import { createInvitation } from '../invitations/index.ts';
import { startServer } from '../serve.ts';
import { startWorker } from '../workers/index.ts';
import { generateOutputs, GenerateError } from '../tasks/index.ts';
import { formatChecks } from '../verify/index.ts';
import { createServices } from '../services/index.ts';
import { EmailOutbox, smtpMailer } from '../email/index.ts';
import { createSandboxDriver, limitsFromConfig } from '../sandbox/index.ts';
import { imageFor, type EnvName } from '../sandbox/index.ts';
import { freeLoopbackPort } from '../platform/index.ts';
import { helpOrVersion } from './help.ts';
import { upstreamsFromConfig } from '../llm/index.ts';

export class CliError extends Error {
  constructor(
    message: string,
    public readonly exitCode = 2,
  ) {
    super(message);
  }
}

export function errorLine(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConfigError) return { message: err.message, exitCode: 2 };
  if (err instanceof AppError) return { message: err.message, exitCode: 1 };
  if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
    return { message: `${err.message} (see worksample --help)`, exitCode: 2 };
  }
  return { message: `unexpected error: ${(err as Error)?.stack ?? String(err)}`, exitCode: 1 };
}

export const usage = `worksample — work-sample hiring for AI engineers

Usage:
  worksample serve                                   run the server (config from env; see README)
  worksample worker                                  run a sandbox worker next to a Docker engine, for servers
                                                     with SANDBOX_DRIVER=workers (same DATABASE_URL, WORKER_TOKEN)
  worksample --version                               print the version
  worksample <verb> --help                           usage of one verb
  worksample users add --email E --role R [--name N] [--password P]
                                                     create a staff user (roles: ${roles.join(', ')});
                                                     without --password one is generated and printed
  worksample tasks validate <dir>                    check a task folder; lists every problem
  worksample tasks import <dir>...                   import task folders as new versions
  worksample tasks verify <dir>... [--skip-tamper]   check files, run the visible tests and the starter, grade
                                                     solution/, starter/, wrong/* and the tamper corpus in real
                                                     sandboxes; prints a per-check table, exits 1 on any failure
  worksample tasks list                              imported tasks and their newest versions
  worksample tasks generate-outputs <dir> [--force]  write a critique task's model outputs once, through
                                                     the configured LLM upstream (LLM_UPSTREAM)
  worksample assessments validate <dir>...           check an assessment folder (assessment.yaml)
  worksample assessments import <dir>...             import assessment folders (their tasks imported first)
  worksample assessments list                        imported assessments and their newest versions
  worksample invite --task SLUG --email E --name N [--version V] [--expires-days D]
                    (or --assessment SLUG instead of --task)
                                                     invite a candidate; prints the link (shown once)
`;

interface Io {
  env: Record<string, string | undefined>;
  out: NodeJS.WritableStream;
}

async function withContext<T>(config: Config, fn: (ctx: ServiceContext) => Promise<T>): Promise<T> {
  const database = await openDatabase(config.databaseUrl);
  try {
    const ctx: ServiceContext = {
      db: database.db,
      clock: systemClock,
      ids: randomIds,
      config,
      logger: createLogger('warn', process.stderr),
    };
    // Verbs queue email like the server does (`invite` emails the link); the server's worker sends it.
    if (config.email.smtpUrl) ctx.mail = new EmailOutbox({ ctx, mailer: smtpMailer(config.email.smtpUrl) });
    return await fn(ctx);
  } finally {
    await database.close();
  }
}

/** Runs one verb. Returns the exit code (undefined = 0) or throws. */
export async function runCli(argv: string[], io: Io): Promise<number | undefined> {
  const [verb, sub, ...rest] = argv;
  const print = (s: string) => io.out.write(`${s}\n`);
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    print(usage);
    return verb ? 0 : 2;
  }
  const asked = helpOrVersion(argv, usage);
  if (asked) {
    print(asked.text);
    return asked.code;
  }
  const config = loadConfig(io.env);

  if (verb === 'serve' || verb === 'worker') {
    const server = verb === 'serve' ? await startServer(config, io.out) : await startWorker(config, io.out);
    let stopping = false;
    const stop = async () => {
      if (stopping) process.exit(1); // a second signal: stop now
      stopping = true;
      // A backstop under Docker's 10 s kill: the steps have their own budget (server/shutdown/).
      setTimeout(() => {
        process.stderr.write('worksample: shutdown took too long; exiting\n');
        process.exit(1);
      }, 8000).unref();
      await server.close();
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return new Promise(() => {}); // runs until a signal
  }

  if (verb === 'users' && sub === 'add') {
    const { values } = parseArgs({
      args: rest,
      options: {
        email: { type: 'string' },
        role: { type: 'string' },
        name: { type: 'string' },
        password: { type: 'string' },
      },
      strict: true,
    });
    if (!values.email) throw new CliError('users add: --email is required');
    if (!values.role || !roles.includes(values.role as Role))
      throw new CliError(`users add: --role must be one of ${roles.join(', ')}`);
    const generated = values.password ? undefined : randomIds.secret().slice(0, 20);
    const user = await withContext(config, (ctx) =>
      createUser(ctx, {
        email: values.email!,
        role: values.role as Role,
        name: values.name,
        password: values.password ?? generated!,
      }),
    );
    print(`created ${user.role} ${user.email} (${user.id})`);
    if (generated) print(`password: ${generated}`);
    return;
  }

  if (verb === 'tasks' && sub === 'validate') {
    if (!rest.length) throw new CliError('tasks validate: give a task folder, e.g. tasks/hello-llm');
    let failed = 0;
    for (const dir of rest) {
      const result = await loadTaskDir(dir);
      if (result.ok)
        print(
          `ok  ${dir}  ${result.task.manifest.slug} (${result.task.files.length} files, ${result.task.contentHash.slice(0, 12)})`,
        );
      else {
        failed++;
        result.errors.forEach((e) => print(`error  ${e}`));
      }
    }
    return failed ? 1 : undefined;
  }

  if (verb === 'tasks' && sub === 'import') {
    if (!rest.length) throw new CliError('tasks import: give one or more task folders, e.g. tasks/hello-llm');
    return withContext(config, async (ctx) => {
      for (const dir of rest) {
        const { status, version } = await importTask(ctx, dir);
        print(
          `${status === 'created' ? 'imported' : 'unchanged'}  ${version.slug} v${version.version}  ${version.contentHash.slice(0, 12)}`,
        );
      }
      return undefined;
    });
  }

  if (verb === 'tasks' && sub === 'generate-outputs') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { force: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1)
      throw new CliError('tasks generate-outputs: give one task folder, e.g. tasks/critique-answer');
    const upstream = upstreamsFromConfig(config, systemClock).default;
    try {
      for (const r of await generateOutputs(positionals[0]!, upstream, { force: values.force })) {
        print(
          `${r.status === 'generated' ? 'generated' : 'kept     '}  outputs/${r.output}  (${r.characters} characters)`,
        );
      }
    } catch (err) {
      if (err instanceof GenerateError) throw new CliError(err.message, 1);
      throw err;
    }
    print(
      'now import the task so the outputs are stored in a task version: worksample tasks import ' +
        positionals[0],
    );
    return;
  }

  if (verb === 'tasks' && sub === 'verify') {
    const skipTamper = rest.includes('--skip-tamper');
    const dirs = rest.filter((a) => a !== '--skip-tamper');
    if (!dirs.length) throw new CliError('tasks verify: give one or more task folders, e.g. tasks/hello-llm');
    // Its own scratch database, gateway port and sandbox label, so verifying works beside a running
    // server (whose orphan sweep leaves sessions of another instance alone).
    const verifyConfig: Config = {
      ...config,
      gatewayPort: await freeLoopbackPort(),
      sandbox: { ...config.sandbox, instance: `${config.sandbox.instance}-verify-${process.pid}` },
    };
    const logger = createLogger('warn', process.stderr);
    const { default: llm, providers: llmProviders } = upstreamsFromConfig(config, systemClock);
    const database = await openDatabase('sqlite::memory:');
    const services = createServices({
      database,
      clock: systemClock,
      ids: randomIds,
      driver: await createSandboxDriver(verifyConfig, logger, (env) => imageFor(env as EnvName)),
      sandbox: {
        limits: limitsFromConfig(verifyConfig),
        poolSize: 0,
        warmEnvs: [],
        maxConcurrent: verifyConfig.sandbox.maxConcurrent,
      },
      llm,
      llmProviders,
      logger,
      config: verifyConfig,
    });
    let failed = 0;
    try {
      await services.gateway.up('127.0.0.1');
      for (const dir of dirs) {
        const started = performance.now();
        const checks = await services.verify.dir(dir, { tamper: !skipTamper });
        print(formatChecks(dir, checks, performance.now() - started));
        if (checks.some((c) => !c.ok)) failed++;
      }
    } finally {
      await services.close();
      await database.close();
    }
    print(
      failed
        ? `${failed} of ${dirs.length} task(s) failed verification`
        : `all ${dirs.length} task(s) verified`,
    );
    return failed ? 1 : undefined;
  }

  if (verb === 'assessments' && sub === 'validate') {
    if (!rest.length)
      throw new CliError('assessments validate: give a folder, e.g. assessments/ai-engineer-loop');
    let failed = 0;
    for (const dir of rest) {
      const result = await loadAssessmentDir(dir);
      if (result.ok)
        print(`ok  ${dir}  ${result.assessment.slug} (${result.assessment.manifest.tasks.length} tasks)`);
      else {
        failed++;
        result.errors.forEach((e) => print(`error  ${e}`));
      }
    }
    return failed ? 1 : undefined;
  }

  if (verb === 'assessments' && sub === 'import') {
    if (!rest.length)
      throw new CliError('assessments import: give one or more folders, e.g. assessments/ai-engineer-loop');
    return withContext(config, async (ctx) => {
      for (const dir of rest) {
        const { status, version } = await importAssessment(ctx, dir);
        print(
          `${status === 'created' ? 'imported' : 'unchanged'}  ${version.slug} v${version.version}  ${version.tasks.map((t) => t.taskSlug).join(', ')}`,
        );
      }
      return undefined;
    });
  }

  if (verb === 'assessments' && sub === 'list') {
    return withContext(config, async (ctx) => {
      const list = await listAssessments(ctx);
      if (!list.length)
        print('no assessments imported yet; try: worksample assessments import assessments/<slug>');
      for (const a of list)
        print(
          `${a.slug}  v${a.version}  ${a.clock}${a.timeLimitMinutes ? ` ${a.timeLimitMinutes} min` : ''}  ${a.title}`,
        );
      return undefined;
    });
  }

  if (verb === 'tasks' && sub === 'list') {
    return withContext(config, async (ctx) => {
      const tasks = await listTasks(ctx);
      if (!tasks.length)
        print(
          `no tasks imported yet; try: worksample tasks import ${path.relative(process.cwd(), config.tasksDir) || '.'}/<slug>`,
        );
      for (const t of tasks)
        print(
          `${t.slug}  v${t.version} (${t.versions} version${t.versions === 1 ? '' : 's'})  ${t.kind}  ${t.title}`,
        );
      return undefined;
    });
  }

  if (verb === 'invite') {
    const { values } = parseArgs({
      args: argv.slice(1),
      options: {
        task: { type: 'string' },
        assessment: { type: 'string' },
        email: { type: 'string' },
        name: { type: 'string' },
        version: { type: 'string' },
        'expires-days': { type: 'string' },
      },
      strict: true,
    });
    if (!values.task === !values.assessment || !values.email || !values.name)
      throw new CliError('invite: --task or --assessment, --email and --name are required');
    const num = (v: string | undefined, flag: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new CliError(`invite: ${flag} must be a positive number`);
      return n;
    };
    const { invitation, link } = await withContext(config, (ctx) =>
      createInvitation(
        ctx,
        {
          ...(values.task
            ? { taskSlug: values.task, taskVersion: num(values.version, '--version') }
            : { assessmentSlug: values.assessment!, assessmentVersion: num(values.version, '--version') }),
          candidateEmail: values.email!,
          candidateName: values.name!,
          expiresInDays: num(values['expires-days'], '--expires-days'),
        },
        null,
      ),
    );
    print(
      `invited ${invitation.candidateName} <${invitation.candidateEmail}> to ${invitation.assessment ? `assessment ${invitation.assessment.slug} v${invitation.assessment.version}` : `${invitation.taskSlug} v${invitation.taskVersion}`}, expires ${new Date(invitation.expiresAt).toISOString()}`,
    );
    print(link);
    return;
  }

  throw new CliError(`unknown command "${argv.join(' ')}"; see worksample --help`);
}
