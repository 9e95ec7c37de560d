/**
 * `npm run promqltest -- <dir> [--min-pass-rate <0..1>] [--failures <n>] [--show-skipped]`: runs every
 * Prometheus `.test` script in <dir> against Vigil's PromQL engine and prints pass/fail/skip
 * per file and in total. Exit 0 (it is a report) unless --min-pass-rate is not met (1) or the
 * runner itself breaks (2).
 */
import { runTestDir } from '../src/query/promql/promqltest.js';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let dir: string | undefined;
  let minRate: number | undefined;
  let showFailures = 5;
  let showSkipped = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--min-pass-rate') minRate = Number(args[++i]);
    else if (a === '--failures') showFailures = Number(args[++i]);
    else if (a === '--show-skipped') showSkipped = true;
    else dir = a;
  }
  if (!dir) {
    console.error('usage: promqltest <dir> [--min-pass-rate 0.97] [--failures 5] [--show-skipped]');
    return 2;
  }
  const r = await runTestDir(dir);
  for (const f of r.files) {
    console.log(`${f.file}: pass ${f.pass}, fail ${f.fail}, skip ${f.skip}`);
    for (const x of f.failures.slice(0, showFailures)) {
      console.log(`  line ${x.line}: ${x.expr}\n    ${x.message}`);
    }
    if (showSkipped) for (const x of f.skipped) console.log(`  skipped line ${x.line}: ${x.expr}\n    ${x.message}`);
  }
  const rate = r.pass + r.fail === 0 ? 1 : r.pass / (r.pass + r.fail);
  console.log(`TOTAL: pass ${r.pass}, fail ${r.fail}, skip ${r.skip} (pass rate ${(rate * 100).toFixed(2)}% of non-skipped)`);
  if (minRate !== undefined && rate < minRate) {
    console.error(`pass rate ${(rate * 100).toFixed(2)}% is below --min-pass-rate ${(minRate * 100).toFixed(2)}%`);
    return 1;
  }
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err);
  process.exitCode = 2;
});
