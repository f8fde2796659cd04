/**
 * The harness's TAP reporter for `node --test` (the harness puts it in place of `--test-reporter=tap`).
 * Stops forged test lines: node's own TAP reporter prints diagnostics as YAML block scalars and object
 * keys unescaped, so a value the candidate's code returns — an object key with newlines, say — can
 * print lines that read as `ok N - <real test name>` and `  ...`. Here every name and diagnostic is one
 * line (messages as JSON strings), so only the runner's own results can be test lines.
 */
const MAX_MESSAGE = 4000;

const oneLine = (s) =>
  String(s)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/#/g, '\\#');

function errorText(err) {
  const e = err && err.code === 'ERR_TEST_FAILURE' && err.cause !== undefined ? err.cause : err;
  if (e instanceof Error) {
    const prefix = e.name && e.name !== 'Error' && !String(e.message).startsWith(e.name) ? `${e.name}: ` : '';
    return `${prefix}${e.message}`.slice(0, MAX_MESSAGE);
  }
  return String(e).slice(0, MAX_MESSAGE);
}

export default async function* tap(source) {
  yield 'TAP version 13\n';
  for await (const { type, data } of source) {
    const indent = '    '.repeat(Math.max(0, Number(data?.nesting) || 0));
    if (type === 'test:pass' || type === 'test:fail') {
      const ok = type === 'test:pass';
      const directive =
        data.skip !== undefined && data.skip !== false
          ? ' # SKIP'
          : data.todo !== undefined && data.todo !== false
            ? ' # TODO'
            : '';
      yield `${indent}${ok ? 'ok' : 'not ok'} ${Number(data.testNumber) || 0} - ${oneLine(data.name)}${directive}\n`;
      yield `${indent}  ---\n${indent}  duration_ms: ${Number(data.details?.duration_ms) || 0}\n`;
      if (!ok) yield `${indent}  error: ${JSON.stringify(errorText(data.details?.error))}\n`;
      yield `${indent}  ...\n`;
    } else if (type === 'test:plan') {
      yield `${indent}1..${Number(data.count) || 0}\n`;
    } else if (type === 'test:diagnostic') {
      yield `${indent}# ${oneLine(data.message)}\n`;
    } else if (type === 'test:stdout' || type === 'test:stderr') {
      for (const line of String(data.message).split('\n')) if (line) yield `# ${JSON.stringify(line)}\n`;
    }
  }
}
