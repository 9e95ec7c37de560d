/**
 * Parsing of Prometheus's promqltest `.test` scripts (load / clear / eval commands and the
 * expanding series notation). Used by promqltest.ts; pure text → commands, no evaluation.
 */
import { parseDuration, parseNumber, unquoteString } from './literals.js';
import type { Labels } from './labels.js';
import { STALE_NAN } from './storage.js';

/** One point of a series line: a float, an omitted slot (`_`), or a native histogram (`{{…}}`). */
export type SeqValue = { kind: 'float'; v: number } | { kind: 'omit' } | { kind: 'hist' };

export interface SeriesLine {
  labels: Labels;
  values: SeqValue[];
}

export interface LoadCmd {
  kind: 'load';
  line: number;
  stepMs: number;
  withNHCB: boolean;
  series: SeriesLine[];
}

export interface ExpectLine {
  type: 'ordered' | 'fail' | 'warn' | 'no_warn' | 'info' | 'no_info';
  match: 'msg' | 'regex' | undefined;
  text: string;
}

export interface EvalCmd {
  kind: 'eval';
  line: number;
  expr: string;
  instant: boolean;
  /** Instant time, or range start/end/step, in ms. */
  start: number;
  end: number;
  step: number;
  fail: boolean;
  warn: boolean;
  info: boolean;
  ordered: boolean;
  expectedFailMessage: string | undefined;
  expectedFailRegexp: string | undefined;
  expects: ExpectLine[];
  /** Expected scalar value when the result is a scalar. */
  scalar: number | undefined;
  series: SeriesLine[];
  expectedString: string | undefined;
  /** Set by `expect range vector from … to … step …` on an instant query. */
  rangeVector: { start: number; end: number; step: number } | undefined;
  hasHistogram: boolean;
}

export type TestCmd = LoadCmd | EvalCmd | { kind: 'clear'; line: number };

export class TestSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

const EVAL_INSTANT = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const EVAL_RANGE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const EXPECT = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;
const EXPECT_RANGE = /^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$/;

function dur(text: string, line: number): number {
  const ms = parseDuration(text.trim());
  if (ms === undefined) throw new TestSyntaxError(line, `invalid duration ${JSON.stringify(text)}`);
  return ms;
}

/** Parses a whole `.test` file into commands; throws TestSyntaxError naming the line. */
export function parseTestFile(input: string): TestCmd[] {
  const lines = input.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const cmds: TestCmd[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l === '') continue;
    const word = (l.split(/[\t ]+/, 1)[0] ?? '').toLowerCase();
    if (word === 'clear') { cmds.push({ kind: 'clear', line: i + 1 }); continue; }
    if (word.startsWith('load')) {
      const m = /^load(?:_(with_nhcb))?\s+(.+?)$/.exec(l);
      if (!m) throw new TestSyntaxError(i + 1, 'invalid load command');
      const cmd: LoadCmd = { kind: 'load', line: i + 1, stepMs: dur(m[2] as string, i + 1), withNHCB: m[1] === 'with_nhcb', series: [] };
      while (i + 1 < lines.length && lines[i + 1] !== '') cmd.series.push(parseSeriesLine(lines[++i] as string, i + 1));
      cmds.push(cmd);
      continue;
    }
    if (word.startsWith('eval')) {
      const { cmd, next } = parseEval(lines, i);
      cmds.push(cmd);
      i = next;
      continue;
    }
    throw new TestSyntaxError(i + 1, `invalid command ${JSON.stringify(l)}`);
  }
  return cmds;
}

function parseEval(lines: string[], i: number): { cmd: EvalCmd; next: number } {
  const l = lines[i] as string;
  const inst = EVAL_INSTANT.exec(l);
  const rng = inst ? null : EVAL_RANGE.exec(l);
  if (!inst && !rng) throw new TestSyntaxError(i + 1, 'invalid evaluation command');
  const mod = (inst ? inst[1] : rng?.[1]) ?? '';
  const cmd: EvalCmd = {
    kind: 'eval', line: i + 1, expr: '', instant: !!inst, start: 0, end: 0, step: 0,
    fail: mod === 'fail', warn: mod === 'warn', info: mod === 'info', ordered: mod === 'ordered',
    expectedFailMessage: undefined, expectedFailRegexp: undefined, expects: [], scalar: undefined,
    series: [], expectedString: undefined, rangeVector: undefined, hasHistogram: false,
  };
  if (inst) {
    cmd.expr = inst[3] as string;
    cmd.start = cmd.end = dur(inst[2] ?? '0s', i + 1);
  } else if (rng) {
    cmd.expr = rng[5] as string;
    cmd.start = dur(rng[2] as string, i + 1);
    cmd.end = dur(rng[3] as string, i + 1);
    cmd.step = dur(rng[4] as string, i + 1);
  }
  while (i + 1 < lines.length && lines[i + 1] !== '') {
    const d = lines[++i] as string;
    if (d.startsWith('expected_fail_message')) { cmd.expectedFailMessage = d.slice('expected_fail_message'.length).trim(); break; }
    if (d.startsWith('expected_fail_regexp')) { cmd.expectedFailRegexp = d.slice('expected_fail_regexp'.length).trim(); break; }
    const rv = EXPECT_RANGE.exec(d);
    if (rv) {
      cmd.rangeVector = { start: dur(rv[1] as string, i + 1), end: dur(rv[2] as string, i + 1), step: dur(rv[3] as string, i + 1) };
      continue;
    }
    if (d.startsWith('expect string')) {
      const s = unquoteString(d.slice('expect string'.length).trim());
      if (s === undefined) throw new TestSyntaxError(i + 1, 'expected string literal not valid');
      cmd.expectedString = s;
      continue;
    }
    if (d.split(' ')[0] === 'expect') {
      const m = EXPECT.exec(d);
      if (!m) throw new TestSyntaxError(i + 1, `invalid expect line ${JSON.stringify(d)}`);
      cmd.expects.push({ type: m[1] as ExpectLine['type'], match: m[2] as ExpectLine['match'], text: (m[3] ?? '').trim() });
      continue;
    }
    if (/^[+-]?((\d+\.?\d*|\.\d+)(e[+-]?\d+)?|inf|infinity|nan|0x[0-9a-f]+)$/i.test(d)) {
      cmd.scalar = parseNumber(d.replace(/infinity$/i, 'Inf'));
      break;
    }
    const s = parseSeriesLine(d, i + 1);
    if (s.values.some((v) => v.kind === 'hist')) cmd.hasHistogram = true;
    cmd.series.push(s);
  }
  return { cmd, next: i };
}

/** Parses `metric{a="b"} 1 2+3x4 _ stale {{…}}` into labels and expanded values. */
export function parseSeriesLine(text: string, line: number): SeriesLine {
  let i = 0;
  const labels: Labels = {};
  const nameM = /^[a-zA-Z_:][a-zA-Z0-9_:.]*/.exec(text);
  if (nameM) { labels.__name__ = nameM[0]; i = nameM[0].length; }
  if (text[i] === '{') {
    i++;
    for (;;) {
      while (text[i] === ' ' || text[i] === ',') i++;
      if (text[i] === '}') { i++; break; }
      if (i >= text.length) throw new TestSyntaxError(line, 'unterminated label set');
      let name: string;
      if (text[i] === '"') {
        const end = stringEnd(text, i);
        name = unquoteString(text.slice(i, end)) ?? '';
        i = end;
      } else {
        const m = /^[a-zA-Z_][a-zA-Z0-9_.]*/.exec(text.slice(i));
        if (!m) throw new TestSyntaxError(line, `bad label name at column ${i + 1}`);
        name = m[0]; i += m[0].length;
      }
      while (text[i] === ' ') i++;
      if (text[i] !== '=') {
        // A bare quoted name is the metric name (`{"metric.name"}`).
        labels.__name__ = name;
        continue;
      }
      i++;
      while (text[i] === ' ') i++;
      if (text[i] !== '"' && text[i] !== "'" && text[i] !== '`') throw new TestSyntaxError(line, `expected quoted label value at column ${i + 1}`);
      const end = stringEnd(text, i);
      const v = unquoteString(text.slice(i, end));
      if (v === undefined) throw new TestSyntaxError(line, `bad label value at column ${i + 1}`);
      labels[name] = v;
      i = end;
    }
  }
  return { labels, values: parseValues(text.slice(i).trim(), line) };
}

function stringEnd(text: string, i: number): number {
  const q = text[i];
  let j = i + 1;
  while (j < text.length && text[j] !== q) { if (text[j] === '\\' && q !== '`') j++; j++; }
  return j + 1;
}

const NUM = '[+-]?(?:[0-9]*\\.?[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+\\.|Inf|inf|NaN|nan)';
const SEQ = new RegExp(`^(${NUM})(?:([+-])(${NUM}))?x([0-9]+)$`);

function parseValues(text: string, line: number): SeqValue[] {
  const out: SeqValue[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    if (text.startsWith('{{', i)) {
      const end = text.indexOf('}}', i);
      if (end < 0) throw new TestSyntaxError(line, 'unterminated histogram');
      let j = end + 2;
      while (j < text.length && text[j] !== ' ' && text[j] !== '\t') {
        if (text.startsWith('{{', j)) { const e2 = text.indexOf('}}', j); j = e2 < 0 ? text.length : e2 + 2; } else j++;
      }
      const rep = /x([0-9]+)$/.exec(text.slice(end + 2, j));
      const n = rep ? Number(rep[1]) + 1 : 1;
      for (let k = 0; k < n; k++) out.push({ kind: 'hist' });
      i = j;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '\t') j++;
    const tok = text.slice(i, j);
    i = j;
    if (tok === '_') { out.push({ kind: 'omit' }); continue; }
    if (tok === 'stale') { out.push({ kind: 'float', v: STALE_NAN }); continue; }
    const om = /^_x([0-9]+)$/.exec(tok);
    if (om) { for (let k = 0; k < Number(om[1]); k++) out.push({ kind: 'omit' }); continue; }
    const sm = SEQ.exec(tok);
    if (sm) {
      let v = parseNumber(sm[1] as string) ?? NaN;
      const inc = sm[3] !== undefined ? (parseNumber(sm[3]) ?? NaN) * (sm[2] === '-' ? -1 : 1) : 0;
      const times = Number(sm[4]);
      for (let k = 0; k <= times; k++) { out.push({ kind: 'float', v }); v += inc; }
      continue;
    }
    const n = parseNumber(tok);
    if (n === undefined || /[a-zA-Z]/.test(tok.replace(/inf|nan|e/gi, ''))) throw new TestSyntaxError(line, `bad sample value ${JSON.stringify(tok)}`);
    out.push({ kind: 'float', v: n });
  }
  return out;
}
