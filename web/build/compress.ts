/**
 * Precompresses the built assets (brotli and gzip, next to each file as .br / .gz) so the server
 * sends compressed bytes without compressing per request (server/http/static.ts picks the variant
 * from Accept-Encoding). Source maps are skipped: they are never served.
 */
import { readdirSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'vite';

const br = promisify(brotliCompress);
const gz = promisify(gzip);
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|ttf|txt|wasm)$/;

export function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'worksample:precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    // zlib's async calls run on the thread pool: the files compress in parallel.
    async closeBundle() {
      const files = [...walk(outDir)].filter((f) => COMPRESSIBLE.test(f));
      await Promise.all(
        files.map(async (file) => {
          const data = await readFile(file);
          if (data.length < 1024) return;
          // Quality 11 is slow on multi-megabyte workers; 9 is nearly as small there.
          const quality = data.length > 1024 * 1024 ? 9 : 11;
          const params = {
            [constants.BROTLI_PARAM_QUALITY]: quality,
            [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
          };
          await Promise.all([
            br(data, { params }).then((b) => writeFile(`${file}.br`, b)),
            gz(data, { level: 9 }).then((b) => writeFile(`${file}.gz`, b)),
          ]);
        }),
      );
    },
  };
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}
