// After `vite build`: a gzip and a brotli copy of every text asset, made once, which the
// server sends to browsers that accept them (src/shre/web/router.py) instead of
// compressing on every request.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const assets = new URL("../../src/shre/web/dist/assets/", import.meta.url);
const TEXT = /\.(js|css|svg|json|html|txt|map)$/;

for (const name of await readdir(assets)) {
  if (!TEXT.test(name)) continue;
  const path = join(assets.pathname, name);
  const body = await readFile(path);
  await writeFile(`${path}.gz`, gzipSync(body, { level: 9 }));
  await writeFile(
    `${path}.br`,
    brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  );
}
