// Module hooks (run on the loader thread) registered by record-modules.mjs.
import { appendFileSync } from 'node:fs';

const file = process.env['VIGIL_TEST_MODULES_FILE'];

export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (file) appendFileSync(file, `${r.url}\n`);
  return r;
}
