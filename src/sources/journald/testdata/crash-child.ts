/**
 * Runs a journald source in its own process for the kill -9 test: its "sink" appends each batch's
 * lines to a file synchronously before acknowledging (a sink that has durably taken the batch).
 * argv: journalctl path, journal dir, data dir, sink file.
 */
import { appendFileSync } from 'node:fs';
import { makeTestContext } from '../../../components/testing.js';
import { batchToRecords } from '../../../core/events.js';
import def from '../index.js';

const [journalctl, dir, dataDir, sinkFile] = process.argv.slice(2) as [string, string, string, string];
const ctx = makeTestContext('source', 'journald', 'crash', dataDir);
ctx.emit = async (batch) => {
  appendFileSync(sinkFile, batchToRecords(batch).map((r) => `${r.line}\n`).join(''));
};
const src = def.build({ journalctl_path: journalctl, directory: dir, since: 'beginning', batch_max_entries: 50, batch_timeout: '5ms' }, ctx);
void src.start();
