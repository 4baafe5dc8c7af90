// Writes a Brotli (.br, quality 11) and a gzip (.gz, level 9) copy next to each built asset in
// the folder given (target/site/pkg), so the server sends compressed files without compressing
// them on every request. Node's zlib has both codecs; nothing to install.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const dir = process.argv[2];
for (const name of readdirSync(dir)) {
  if (!/\.(wasm|js|css|svg)$/.test(name)) continue;
  const path = join(dir, name);
  const raw = readFileSync(path);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  writeFileSync(`${path}.br`, br);
  writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }));
  console.log(`${name}: ${raw.length} raw, ${br.length} br`);
}
