/**
 * Runs Prometheus promqltest `.test` scripts against Vigil's engine. Used by
 * scripts/promqltest.ts (`npm run promqltest -- <dir>`) and the corpus regression test.
 * Every evaluation is counted as pass, fail or skip (native histograms); a broken file
 * is reported as one failure with its line, never thrown.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Expr } from './ast.js';
import { PromQLEngine } from './engine.js';
import { labelsKey, labelsString, matchesAll, type Labels } from './labels.js';
import { MemoryStorage } from './memory-storage.js';
import { parsePromQL } from './parser.js';
import { parseTestFile, type EvalCmd, type LoadCmd, type SeriesLine } from './promqltest-format.js';
import type { Value } from './values.js';

export interface EvalFailure {
  line: number;
  expr: string;
  message: string;
}

export interface FileReport {
  file: string;
  pass: number;
  fail: number;
  skip: number;
  failures: EvalFailure[];
  /** Evaluations skipped because they read native histograms, with why they did not pass. */
  skipped: EvalFailure[];
}

export interface DirReport {
  files: FileReport[];
  pass: number;
  fail: number;
  skip: number;
}

/** Runs every `*.test` file in `dir` (sorted by name). */
export async function runTestDir(dir: string): Promise<DirReport> {
  const names = readdirSync(dir).filter((f) => f.endsWith('.test')).sort();
  const files: FileReport[] = [];
  for (const n of names) files.push(await runTestFile(readFileSync(join(dir, n), 'utf8'), n));
  const sum = (k: 'pass' | 'fail' | 'skip'): number => files.reduce((a, f) => a + f[k], 0);
  return { files, pass: sum('pass'), fail: sum('fail'), skip: sum('skip') };
}

/** Runs one script's text; `file` only labels the report. */
export async function runTestFile(text: string, file: string): Promise<FileReport> {
  const report: FileReport = { file, pass: 0, fail: 0, skip: 0, failures: [], skipped: [] };
  let cmds;
  try {
    cmds = parseTestFile(text);
  } catch (err) {
    report.fail++;
    report.failures.push({ line: 0, expr: '', message: `cannot parse test file: ${(err as Error).message}` });
    return report;
  }
  const storage = new MemoryStorage();
  const engine = new PromQLEngine(storage);
  let histSeries: Labels[] = [];
  for (const cmd of cmds) {
    if (cmd.kind === 'clear') { storage.clear(); histSeries = []; continue; }
    if (cmd.kind === 'load') { histSeries.push(...load(storage, cmd)); continue; }
    if (cmd.hasHistogram) {
      report.skip++;
      report.skipped.push({ line: cmd.line, expr: cmd.expr, message: 'expected result holds native histogram samples' });
      continue;
    }
    const msg = await runEval(engine, cmd);
    if (msg === undefined) report.pass++;
    else if (touchesHistograms(cmd.expr, histSeries)) {
      // The expression reads native-histogram series this float engine cannot see: a skip, not a failure.
      report.skip++;
      report.skipped.push({ line: cmd.line, expr: cmd.expr, message: msg });
    } else {
      report.fail++;
      report.failures.push({ line: cmd.line, expr: cmd.expr, message: msg });
    }
  }
  return report;
}

/** Appends a load block; returns the label sets that hold native histograms (incl. NHCB conversions). */
function load(storage: MemoryStorage, cmd: LoadCmd): Labels[] {
  const hist: Labels[] = [];
  for (const s of cmd.series) {
    let t = 0;
    let isHist = false;
    for (const v of s.values) {
      if (v.kind === 'float') storage.append(s.labels, t, v.v);
      else if (v.kind === 'hist') isHist = true;
      t += cmd.stepMs;
    }
    if (isHist) hist.push(s.labels);
    if (cmd.withNHCB) {
      const name = s.labels.__name__ ?? '';
      const base = /^(.*)_(bucket|count|sum)$/.exec(name);
      if (base) {
        const l: Labels = { ...s.labels, __name__: base[1] as string };
        delete l.le;
        hist.push(l);
      }
    }
  }
  return hist;
}

function touchesHistograms(expr: string, hist: Labels[]): boolean {
  if (hist.length === 0) return false;
  let ast: Expr;
  try { ast = parsePromQL(expr); } catch { return false; }
  let hit = false;
  const walk = (e: Expr): void => {
    if (hit) return;
    switch (e.type) {
      case 'VectorSelector': hit = hist.some((l) => matchesAll(e.matchers, l)); return;
      case 'MatrixSelector': walk(e.selector); return;
      case 'SubqueryExpr': case 'ParenExpr': case 'UnaryExpr': walk(e.expr); return;
      case 'Call': e.args.forEach(walk); return;
      case 'AggregateExpr': walk(e.expr); if (e.param) walk(e.param); return;
      case 'BinaryExpr': walk(e.lhs); walk(e.rhs); return;
      default: return;
    }
  };
  walk(ast);
  return hit;
}

function almostEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const minNormal = 2.2250738585072014e-308;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < minNormal) return diff < 1e-6 * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < 1e-6;
}

function isFail(cmd: EvalCmd): boolean {
  return cmd.fail || cmd.expects.some((e) => e.type === 'fail');
}

function matchExpect(e: { match: 'msg' | 'regex' | undefined; text: string }, s: string): boolean {
  if (e.match === 'regex') return new RegExp(e.text).test(s);
  return e.text === s;
}

/** Functions whose value depends on the evaluation time even with fixed `@` inputs. */
const AT_UNSAFE = new Set(['days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year', 'predict_linear', 'time', 'timestamp']);

/**
 * Prometheus's atModifierTestCases: the same query with `@ <eval time>` on every selector
 * (outside subqueries that already have one), evaluated at other times, must give the same result.
 */
function atModifierCases(expr: string, ts: number): Array<{ expr: Expr; ts: number }> {
  let ast: Expr;
  try { ast = parsePromQL(expr); } catch { return []; }
  let unsafe = false;
  const walk = (e: Expr, underAt: boolean): void => {
    switch (e.type) {
      case 'VectorSelector': if (!underAt) e.at ??= { kind: 'time', ms: ts }; return;
      case 'MatrixSelector': walk(e.selector, underAt); return;
      case 'SubqueryExpr': {
        if (!underAt) e.at ??= { kind: 'time', ms: ts };
        walk(e.expr, true);
        return;
      }
      case 'Call': if (AT_UNSAFE.has(e.func)) unsafe = true; e.args.forEach((a) => walk(a, underAt)); return;
      case 'AggregateExpr': walk(e.expr, underAt); if (e.param) walk(e.param, underAt); return;
      case 'BinaryExpr': walk(e.lhs, underAt); walk(e.rhs, underAt); return;
      case 'ParenExpr': case 'UnaryExpr': walk(e.expr, underAt); return;
      default: return;
    }
  };
  walk(ast, false);
  if (unsafe) return [];
  const times = ts === 0 ? [-1000, 0, 1000] : [-10 * ts, 0, Math.trunc(ts / 5), ts, 10 * ts];
  return times.map((t) => ({ expr: ast, ts: t }));
}

/** Runs one eval the way Prometheus's promqltest does; undefined when it passes, else why it failed. */
async function runEval(engine: PromQLEngine, cmd: EvalCmd): Promise<string | undefined> {
  if (!cmd.instant) {
    return checkOutcome(cmd, () => engine.rangeQuery(cmd.expr, cmd.start, cmd.end, cmd.step).then((r) => ({ value: { kind: 'matrix', series: r.series } as Value, warnings: r.warnings, infos: r.infos })));
  }
  const cases: Array<{ expr: string | Expr; ts: number; label: string }> = [{ expr: cmd.expr, ts: cmd.start, label: '' }];
  for (const c of atModifierCases(cmd.expr, cmd.start)) cases.push({ ...c, label: ` (with @ ${cmd.start / 1000}, evaluated at ${c.ts / 1000}s)` });
  const excluded = cmd.rangeVector !== undefined || cmd.expectedString !== undefined || /(start|end|range|step)\(\)/.test(cmd.expr);
  for (const c of cases) {
    let instantValue: Value | undefined;
    const msg = await checkOutcome(cmd, async () => {
      const r = await engine.instantQuery(c.expr, c.ts);
      instantValue = r.value;
      return r;
    });
    if (msg !== undefined) return msg + c.label;
    if (isFail(cmd) || excluded || cmd.ordered || cmd.expects.some((e) => e.type === 'ordered')) continue;
    // Prometheus also checks the same query in range mode, at the middle of three 1m steps.
    let r;
    try {
      r = await engine.rangeQuery(c.expr, c.ts - 60_000, c.ts + 60_000, 60_000);
    } catch (err) {
      return `error in range mode: ${(err as Error).message}${c.label}`;
    }
    const samples = r.series.flatMap((s) => {
      const i = s.t.indexOf(c.ts);
      return i < 0 ? [] : [{ metric: s.metric, v: s.v[i] as number, dropName: false }];
    });
    const v: Value = instantValue?.kind === 'scalar' ? { kind: 'scalar', v: samples[0]?.v ?? NaN } : { kind: 'vector', samples };
    const rm = compareResult(cmd, v);
    if (rm !== undefined) return `range mode: ${rm}${c.label}`;
  }
  return undefined;
}

async function checkOutcome(cmd: EvalCmd, run: () => Promise<{ value: Value; warnings: string[]; infos: string[] }>): Promise<string | undefined> {
  let res: { value: Value; warnings: string[]; infos: string[] };
  try {
    res = await run();
  } catch (err) {
    const msg = (err as Error).message;
    if (!isFail(cmd)) return `unexpected error: ${msg}`;
    if (cmd.expectedFailMessage !== undefined && cmd.expectedFailMessage !== msg) return `expected error ${JSON.stringify(cmd.expectedFailMessage)}, got ${JSON.stringify(msg)}`;
    if (cmd.expectedFailRegexp !== undefined && !new RegExp(cmd.expectedFailRegexp).test(msg)) return `expected error matching ${cmd.expectedFailRegexp}, got ${JSON.stringify(msg)}`;
    const ef = cmd.expects.find((e) => e.type === 'fail' && e.match);
    if (ef && !matchExpect(ef, msg)) return `expected error matching ${JSON.stringify(ef.text)}, got ${JSON.stringify(msg)}`;
    return undefined;
  }
  if (isFail(cmd)) return 'expected error but query succeeded';
  return checkAnnotations(cmd, res.warnings, res.infos) ?? compareResult(cmd, res.value);
}

function checkAnnotations(cmd: EvalCmd, warnings: string[], infos: string[]): string | undefined {
  if (cmd.warn && warnings.length === 0) return 'expected warnings but got none';
  if (cmd.info && infos.length === 0) return 'expected info annotations but got none';
  for (const [type, actual] of [['warn', warnings], ['info', infos]] as const) {
    const exp = cmd.expects.filter((e) => e.type === type);
    if (exp.length === 0) continue;
    if (actual.length === 0) return `expected ${type} annotations but none were found`;
    for (const e of exp) if (e.match && !actual.some((a) => matchExpect(e, a))) return `expected ${type} annotation ${JSON.stringify(e.text)}, got ${JSON.stringify(actual)}`;
    for (const a of actual) if (!exp.some((e) => !e.match || matchExpect(e, a))) return `unexpected ${type} annotation ${JSON.stringify(a)}`;
  }
  if (cmd.expects.some((e) => e.type === 'no_warn') && warnings.length > 0) return `unexpected warnings: ${JSON.stringify(warnings)}`;
  if (cmd.expects.some((e) => e.type === 'no_info') && infos.length > 0) return `unexpected infos: ${JSON.stringify(infos)}`;
  return undefined;
}

function fmtSeries(s: SeriesLine): string {
  return `${labelsString(s.labels)} ${s.values.map((v) => (v.kind === 'float' ? String(v.v) : '_')).join(' ')}`;
}

function compareResult(cmd: EvalCmd, value: Value): string | undefined {
  const ordered = cmd.ordered || cmd.expects.some((e) => e.type === 'ordered');
  const expected = new Map<string, { s: SeriesLine; pos: number }>();
  cmd.series.forEach((s, i) => expected.set(labelsKey(s.labels), { s, pos: i }));
  switch (value.kind) {
    case 'string':
      return cmd.expectedString === value.s ? undefined : `expected string ${JSON.stringify(cmd.expectedString)} but got ${JSON.stringify(value.s)}`;
    case 'scalar':
      if (cmd.scalar === undefined) return `expected vector or matrix result, but got scalar ${value.v}`;
      return almostEqual(cmd.scalar, value.v) ? undefined : `expected scalar ${cmd.scalar} but got ${value.v}`;
    case 'vector': {
      if (cmd.scalar !== undefined) return `expected scalar result, but got vector`;
      const seen = new Set<string>();
      for (let i = 0; i < value.samples.length; i++) {
        const s = value.samples[i]!;
        const k = labelsKey(s.metric);
        const exp = expected.get(k);
        if (!exp) return `unexpected metric ${labelsString(s.metric)} in result, has value ${s.v}`;
        if (ordered && exp.pos !== i) return `expected metric ${labelsString(s.metric)} at position ${exp.pos + 1} but was at ${i + 1}`;
        const ev = exp.s.values[0];
        if (!ev || ev.kind !== 'float') return `expected no value for ${labelsString(s.metric)}`;
        if (!almostEqual(ev.v, s.v)) return `expected ${ev.v} for ${labelsString(s.metric)} but got ${s.v}`;
        seen.add(k);
      }
      for (const [k, e] of expected) if (!seen.has(k)) return `expected metric ${fmtSeries(e.s)} not found`;
      return undefined;
    }
    case 'matrix': {
      if (ordered) return 'expected ordered result, but query returned a matrix';
      if (cmd.scalar !== undefined) return 'expected scalar result, but got matrix';
      const start = cmd.rangeVector?.start ?? cmd.start;
      const step = cmd.rangeVector?.step ?? cmd.step;
      const seen = new Set<string>();
      for (const s of value.series) {
        const k = labelsKey(s.metric);
        const exp = expected.get(k);
        if (!exp) return `unexpected metric ${labelsString(s.metric)} in result, has ${s.v.length} points [${Array.from(s.v).join(' ')}]`;
        seen.add(k);
        const et: number[] = [];
        const evs: number[] = [];
        exp.s.values.forEach((v, i) => { if (v.kind === 'float') { et.push(start + i * step); evs.push(v.v); } });
        const got = Array.from(s.t, (t, i) => `${s.v[i]}@${t}`).join(' ');
        if (et.length !== s.t.length) return `expected ${et.length} points for ${labelsString(s.metric)}, got ${s.t.length}: ${got}`;
        for (let i = 0; i < et.length; i++) {
          if (et[i] !== s.t[i]) return `expected point ${i} of ${labelsString(s.metric)} at ${et[i]}, got ${got}`;
          if (!almostEqual(evs[i]!, s.v[i]!)) return `expected ${evs[i]} at t=${et[i]} for ${labelsString(s.metric)}, got ${got}`;
        }
      }
      for (const [k, e] of expected) if (!seen.has(k)) return `expected metric ${fmtSeries(e.s)} not found`;
      return undefined;
    }
  }
}
