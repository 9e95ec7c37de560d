/**
 * The subset of Go's text/template (with Loki's and sprig's common functions) that `line_format`
 * and `label_format` use: `{{.a}}`, pipes `{{.a | upper}}`, calls `{{printf "%s" .a}}`,
 * `{{if}}/{{else if}}/{{else}}/{{end}}`, `{{-`/`-}}` trimming, `__line__` and `__timestamp__`.
 * Compiled once per stage; executing is a walk over a small tree, no per-call parsing.
 */
import { queryError } from './errors.js';
import { unquoteGo } from './go-syntax.js';
import { FUNCS, show, truthy, type Fn } from './template-funcs.js';

export { show };

/** What a template sees: labels as fields, the line and the entry time (microseconds). */
export interface TemplateInput {
  labels: ReadonlyMap<string, string>;
  line: string;
  ts: number;
}

/** A Go template value: strings, numbers, booleans and times (`{ t: micros }`). */
export type TValue = string | number | boolean | { t: number } | undefined;

type Arg =
  | { k: 'field'; name: string }
  | { k: 'dot' }
  | { k: 'lit'; v: TValue }
  | { k: 'fn'; name: string }
  | { k: 'pipe'; p: Pipeline };
type Command = Arg[];
type Pipeline = Command[];
type Node =
  | { k: 'text'; text: string }
  | { k: 'action'; p: Pipeline }
  | { k: 'if'; branches: Array<{ cond: Pipeline; body: Node[] }>; otherwise: Node[] };

/** A compiled template: call it to render. Throws (a plain Error) when execution fails. */
export type Template = (input: TemplateInput) => string;

/** Compiles a template; throws VigilError BAD_QUERY naming the stage and the problem. */
export function compileTemplate(src: string, where: string): Template {
  let nodes: Node[];
  try {
    nodes = parseTemplate(src);
  } catch (e) {
    throw queryError(`${where}: invalid template ${JSON.stringify(src)}: ${(e as Error).message}`);
  }
  return (input) => render(nodes, input);
}

// ---- lexing and parsing ------------------------------------------------------------------

function parseTemplate(src: string): Node[] {
  const parts: Array<{ text: string } | { action: string; at: number }> = [];
  let pos = 0;
  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    if (open < 0) {
      parts.push({ text: src.slice(pos) });
      break;
    }
    let text = src.slice(pos, open);
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.trimEnd();
      start++;
    }
    parts.push({ text });
    const close = src.indexOf('}}', start);
    if (close < 0) throw new Error(`unclosed action at offset ${open}`);
    let body = src.slice(start, close);
    pos = close + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      const m = /^\s*/.exec(src.slice(pos));
      pos += m ? m[0].length : 0;
    }
    parts.push({ action: body.trim(), at: open });
  }
  let i = 0;
  const block = (stopAt: Set<string>): { nodes: Node[]; stop: string; rest: string } => {
    const nodes: Node[] = [];
    while (i < parts.length) {
      const p = parts[i++] as (typeof parts)[number];
      if ('text' in p) {
        if (p.text) nodes.push({ k: 'text', text: p.text });
        continue;
      }
      if (p.action.startsWith('/*')) continue; // comment
      const word = /^(\w+)\b\s*(.*)$/s.exec(p.action);
      const kw = word?.[1];
      if (kw && stopAt.has(kw)) return { nodes, stop: kw, rest: word?.[2] ?? '' };
      if (kw === 'if') {
        const branches = [{ cond: parsePipeline(word?.[2] ?? ''), body: [] as Node[] }];
        let otherwise: Node[] = [];
        for (;;) {
          const r = block(new Set(['else', 'end']));
          (branches[branches.length - 1] as { body: Node[] }).body = r.nodes;
          if (r.stop === 'end') break;
          if (r.stop !== 'else') throw new Error('missing {{end}} for {{if}}');
          const elif = /^if\b\s*(.*)$/s.exec(r.rest);
          if (elif) {
            branches.push({ cond: parsePipeline(elif[1] ?? ''), body: [] });
            continue;
          }
          const e = block(new Set(['end']));
          if (e.stop !== 'end') throw new Error('missing {{end}} for {{else}}');
          otherwise = e.nodes;
          break;
        }
        nodes.push({ k: 'if', branches, otherwise });
        continue;
      }
      if (kw === 'range' || kw === 'with' || kw === 'define' || kw === 'template' || kw === 'block') {
        throw new Error(`{{${kw}}} is not supported`);
      }
      if (kw === 'end' || kw === 'else') throw new Error(`unexpected {{${kw}}}`);
      nodes.push({ k: 'action', p: parsePipeline(p.action) });
    }
    return { nodes, stop: '', rest: '' };
  };
  const r = block(new Set());
  return r.nodes;
}

const TOKEN = /\s*(?:(\.[A-Za-z_][A-Za-z0-9_]*)|(\.)|("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\|)|(\()|(\)))/y;

function parsePipeline(text: string): Pipeline {
  const toks: Array<{ t: string; v: string }> = [];
  const re = new RegExp(TOKEN.source, 'y');
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new Error(`unexpected ${JSON.stringify(text.slice(pos).trim().slice(0, 10))} in {{${text}}}`);
    pos = re.lastIndex;
    const kinds = ['field', 'dot', 'str', 'raw', 'num', 'ident', 'bar', 'lp', 'rp'];
    for (let g = 1; g <= 9; g++) if (m[g] !== undefined) toks.push({ t: kinds[g - 1] as string, v: m[g] as string });
  }
  let i = 0;
  const pipeline = (): Pipeline => {
    const cmds: Pipeline = [];
    let cmd: Command = [];
    while (i < toks.length) {
      const tk = toks[i] as { t: string; v: string };
      if (tk.t === 'rp') break;
      i++;
      switch (tk.t) {
        case 'bar':
          if (cmd.length === 0) throw new Error('missing command before |');
          cmds.push(cmd);
          cmd = [];
          break;
        case 'lp': {
          const p = pipeline();
          if (toks[i]?.t !== 'rp') throw new Error('unclosed (');
          i++;
          cmd.push({ k: 'pipe', p });
          break;
        }
        case 'field': cmd.push({ k: 'field', name: tk.v.slice(1) }); break;
        case 'dot': cmd.push({ k: 'dot' }); break;
        case 'str': cmd.push({ k: 'lit', v: unquoteGo(tk.v) }); break;
        case 'raw': cmd.push({ k: 'lit', v: tk.v.slice(1, -1) }); break;
        case 'num': cmd.push({ k: 'lit', v: Number(tk.v) }); break;
        case 'ident':
          if (tk.v === 'true' || tk.v === 'false') cmd.push({ k: 'lit', v: tk.v === 'true' });
          else if (tk.v === 'nil') cmd.push({ k: 'lit', v: undefined });
          else {
            if (!FUNCS[tk.v]) throw new Error(`function "${tk.v}" not defined`);
            cmd.push({ k: 'fn', name: tk.v });
          }
          break;
      }
    }
    if (cmd.length === 0) throw new Error(cmds.length ? 'missing command after |' : 'empty action');
    cmds.push(cmd);
    return cmds;
  };
  const p = pipeline();
  if (i < toks.length) throw new Error(`unexpected ")" in {{${text}}}`);
  return p;
}

// ---- execution ---------------------------------------------------------------------------

function render(nodes: Node[], input: TemplateInput): string {
  let out = '';
  for (const n of nodes) {
    if (n.k === 'text') out += n.text;
    else if (n.k === 'action') out += show(runPipeline(n.p, input));
    else {
      const b = n.branches.find((br) => truthy(runPipeline(br.cond, input)));
      out += render(b ? b.body : n.otherwise, input);
    }
  }
  return out;
}

function runPipeline(p: Pipeline, input: TemplateInput): TValue {
  let prev: TValue;
  let first = true;
  for (const cmd of p) {
    prev = runCommand(cmd, input, first ? [] : [prev]);
    first = false;
  }
  return prev;
}

function evalArg(a: Arg, input: TemplateInput): TValue {
  switch (a.k) {
    case 'field': return input.labels.get(a.name) ?? '';
    case 'dot': // Go prints a map as map[k:v ...] with sorted keys
      return `map[${[...input.labels.keys()].sort().map((k) => `${k}:${input.labels.get(k) ?? ''}`).join(' ')}]`;
    case 'lit': return a.v;
    case 'pipe': return runPipeline(a.p, input);
    case 'fn': return callFn(a.name, [], input);
  }
}

function runCommand(cmd: Command, input: TemplateInput, piped: TValue[]): TValue {
  const [head, ...rest] = cmd;
  if (!head) return undefined;
  if (head.k === 'fn') return callFn(head.name, [...rest.map((a) => evalArg(a, input)), ...piped], input);
  if (rest.length > 0 || piped.length > 0) throw new Error("can't give arguments to a non-function");
  return evalArg(head, input);
}

function callFn(name: string, args: TValue[], input: TemplateInput): TValue {
  if (name === '__line__') return input.line;
  if (name === '__timestamp__') return { t: input.ts };
  const f = FUNCS[name] as Fn;
  return f(args);
}

