// `--import` this (plain JS, so it needs no loader) to append every module URL the process
// resolves to $VIGIL_TEST_MODULES_FILE; main.test.ts reads which modules `vigil agent` loaded.
import { register } from 'node:module';

register('./record-modules-hooks.mjs', import.meta.url);
