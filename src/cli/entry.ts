/** Process entry for `node --import tsx src/cli/entry.ts` (tests, development); bin/vigil.js runs the compiled main. */
import { main } from './main.js';

await main(process.argv);
