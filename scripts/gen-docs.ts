import { writeFileSync } from 'node:fs';
import { renderConfigDocs } from '../src/config/docs.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDocs());
process.stdout.write('wrote docs/configuration.md\n');
