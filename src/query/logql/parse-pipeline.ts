/** The log half of the LogQL parser: selectors and every pipeline stage, label filters included. */
import type { SyntaxNode } from '@lezer/common';
import type { LabelMatcher } from '../../core/labels.js';
import type { ExtractionParam, LabelFilterExpr, LabelSelectItem, LineFilterOp, LineFilterStage, LogSelectorExpr, Stage } from './ast.js';
import { kids, listItems, matchesEmpty, NodeReader } from './parse-common.js';
import { ipMatcher } from './line-filter.js';
import { parseJsonPath } from './parsers.js';
import { compileTemplate } from './template.js';
import { parseBytes } from './units.js';

const LINE_OPS: Record<string, LineFilterOp> = { PipeExact: '|=', Neq: '!=', PipeMatch: '|~', Nre: '!~', PipePattern: '|>', Npa: '!>' };

export class PipelineReader extends NodeReader {
  /** A template string, compiled now so that mistakes point into the query. */
  protected template(n: SyntaxNode, where: string): string {
    const t = this.string(n);
    try {
      compileTemplate(t, where);
    } catch (e) {
      this.fail(n, (e as Error).message);
    }
    return t;
  }

  protected ipPattern(n: SyntaxNode): string {
    const p = this.string(n);
    try {
      ipMatcher(p);
    } catch (e) {
      this.fail(n, (e as Error).message);
    }
    return p;
  }

  logExpr(n: SyntaxNode): LogSelectorExpr {
    const inner = n.getChild('LogExpr');
    if (inner) return this.logExpr(inner);
    const sel = this.need(n, 'Selector', 'a log selector like {app="x"}');
    const pipe = n.getChild('PipelineExpr');
    return { kind: 'log', matchers: this.selector(sel), stages: pipe ? this.pipeline(pipe) : [] };
  }

  protected selector(n: SyntaxNode): LabelMatcher[] {
    const ms = n.getChild('Matchers');
    const matchers = ms ? listItems(ms, 'Matcher').map((m) => this.matcher(m)) : [];
    // Loki refuses selectors that would match every stream.
    if (!matchers.some((m) => !matchesEmpty(m))) {
      this.fail(n, 'queries require at least one regexp or equality matcher that does not have an empty-compatible value, e.g. {app="x"} rather than {app=~".*"}');
    }
    return matchers;
  }

  protected pipeline(n: SyntaxNode): Stage[] {
    const stages: Stage[] = [];
    for (const st of listItems(n, 'PipelineStage')) stages.push(...this.stage(st));
    return stages;
  }

  protected stage(n: SyntaxNode): Stage[] {
    const lf = n.getChild('LineFilters');
    if (lf) return this.lineFilters(lf);
    const body = kids(n).find((c) => c.name !== 'Pipe');
    if (!body) return this.fail(n, 'empty pipeline stage');
    switch (body.name) {
      case 'LabelParser': {
        const [kw, arg] = kids(body);
        if (!kw) return this.fail(body, 'empty parser');
        if (kw.name === 'Json') return [{ kind: 'json' }];
        if (kw.name === 'Logfmt') return [{ kind: 'logfmt', strict: false, keepEmpty: false }];
        if (kw.name === 'Unpack') return [{ kind: 'unpack' }];
        if (!arg) return this.fail(kw.to, `expected a quoted expression after ${this.text(kw)}`, 'a quoted string');
        const s = this.string(arg);
        if (kw.name === 'Regexp') {
          this.checkRegex(arg, s);
          if (!/\(\?P?<[a-zA-Z_]/.test(s)) this.fail(arg, 'regexp parser needs at least one named capture group like (?P<name>...)');
          return [{ kind: 'regexp', pattern: s }];
        }
        if (!/<[a-zA-Z_][a-zA-Z0-9_]*>/.test(s)) this.fail(arg, 'pattern parser needs at least one named capture like <name>');
        return [{ kind: 'pattern', pattern: s }];
      }
      case 'LogfmtParser':
      case 'LogfmtExpressionParser': {
        const flags = body.getChild('LogfmtParserFlags');
        const names = flags ? listItems(flags, 'ParserFlag').map((f) => this.text(f)) : [];
        const list = body.getChild('LabelExtractionExpressionList');
        const stage: Stage = { kind: 'logfmt', strict: names.includes('--strict'), keepEmpty: names.includes('--keep-empty') };
        if (list) stage.params = this.extractionParams(list);
        return [stage];
      }
      case 'JsonExpressionParser':
        return [{ kind: 'json', params: this.extractionParams(this.need(body, 'LabelExtractionExpressionList', 'label=\"path\"'), true) }];
      case 'LabelFilter':
        return [{ kind: 'labelFilter', filter: this.labelFilter(body) }];
      case 'LineFormatExpr':
        return [{ kind: 'lineFormat', template: this.template(this.need(body, 'String', 'a template string'), 'line_format') }];
      case 'LabelFormatExpr': {
        const items = listItems(this.need(body, 'LabelsFormat', 'label=value'), 'LabelFormatMatcher').map((m) => {
          const [dst, , src] = kids(m);
          if (!dst || !src) return this.fail(m, 'expected new_label=old_label or new_label="{{template}}"');
          return src.name === 'String' ? { dst: this.text(dst), template: this.template(src, `label_format ${this.text(dst)}`) } : { dst: this.text(dst), src: this.text(src) };
        });
        return [{ kind: 'labelFormat', items }];
      }
      case 'DropLabelsExpr':
        return [{ kind: 'drop', items: this.selectItems(this.need(body, 'DropLabels', 'label names'), 'DropLabel') }];
      case 'KeepLabelsExpr':
        return [{ kind: 'keep', items: this.selectItems(this.need(body, 'KeepLabels', 'label names'), 'KeepLabel') }];
      case 'DecolorizeExpr':
        return [{ kind: 'decolorize' }];
      default:
        return this.fail(body, `unsupported pipeline stage "${this.text(body)}"`);
    }
  }

  protected lineFilters(n: SyntaxNode): LineFilterStage[] {
    const out: LineFilterStage[] = [];
    const visit = (node: SyntaxNode): void => {
      for (const c of kids(node)) {
        if (c.name === 'LineFilters') visit(c);
        else if (c.name === 'LineFilter') {
          const f = this.need(c, 'Filter', 'a line filter operator');
          const opNode = f.firstChild;
          const op = opNode ? LINE_OPS[opNode.name] : undefined;
          if (!op) this.fail(f, `unknown line filter "${this.text(f)}"`);
          const stage: LineFilterStage = { kind: 'lineFilter', op, values: [] };
          this.filterValue(c, stage);
          out.push(stage);
          for (const o of c.getChildren('OrFilter')) this.filterValue(o, stage);
        } else if (c.name === 'OrFilter') {
          const last = out[out.length - 1];
          if (!last) this.fail(c, '"or" needs a line filter before it');
          this.filterValue(c, last);
        }
      }
    };
    visit(n);
    return out;
  }

  protected filterValue(n: SyntaxNode, stage: LineFilterStage): void {
    const ip = n.getChild('FilterOp') !== null;
    const s = n.getChild('String');
    if (!s) this.fail(n.to, 'expected a quoted string after the line filter', 'a quoted string');
    if (stage.values.length > 0 && (stage.ip ?? false) !== ip) this.fail(n, 'cannot mix ip() and text in one "or" line filter');
    if (ip) {
      if (stage.op !== '|=' && stage.op !== '!=') this.fail(n, 'ip() line filters only work with |= and !=');
      stage.ip = true;
    }
    const v = ip ? this.ipPattern(s) : this.string(s);
    if (stage.op === '|~' || stage.op === '!~') this.checkRegex(s, v);
    stage.values.push(v);
  }

  protected extractionParams(n: SyntaxNode, jsonPaths = false): ExtractionParam[] {
    return listItems(n, 'LabelExtractionExpression').map((e) => {
      const id = this.need(e, 'Identifier', 'a label name');
      const s = e.getChild('String');
      const param = { label: this.text(id), path: s ? this.string(s) : this.text(id) };
      if (jsonPaths) {
        try {
          parseJsonPath(param);
        } catch (err) {
          this.fail(s ?? id, (err as Error).message);
        }
      }
      return param;
    });
  }

  protected selectItems(n: SyntaxNode, itemName: string): LabelSelectItem[] {
    return listItems(n, itemName).map((it) => {
      const m = it.getChild('Matcher');
      if (m) {
        const matcher = this.matcher(m);
        return { name: matcher.name, matcher };
      }
      return { name: this.text(this.need(it, 'Identifier', 'a label name')) };
    });
  }

  labelFilter(n: SyntaxNode): LabelFilterExpr {
    // Flatten unparenthesized and/or chains, then rebuild with `and` binding tighter than `or`.
    const operands: LabelFilterExpr[] = [];
    const ops: Array<'and' | 'or'> = [];
    const flatten = (node: SyntaxNode): void => {
      const subs = node.getChildren('LabelFilter');
      if (subs.length === 2) {
        flatten(subs[0] as SyntaxNode);
        ops.push(node.getChild('Or') ? 'or' : 'and');
        flatten(subs[1] as SyntaxNode);
      } else if (subs.length === 1) operands.push(this.labelFilter(subs[0] as SyntaxNode)); // parentheses
      else operands.push(this.simpleLabelFilter(node));
    };
    flatten(n);
    // and-groups first, then or over them
    const groups: LabelFilterExpr[] = [operands[0] as LabelFilterExpr];
    for (let i = 0; i < ops.length; i++) {
      const right = operands[i + 1] as LabelFilterExpr;
      if (ops[i] === 'and') groups[groups.length - 1] = { type: 'and', left: groups[groups.length - 1] as LabelFilterExpr, right };
      else groups.push(right);
    }
    return groups.reduce((l, r) => ({ type: 'or', left: l, right: r }));
  }

  protected simpleLabelFilter(n: SyntaxNode): LabelFilterExpr {
    const c = n.firstChild;
    if (!c) return this.fail(n, 'empty label filter');
    switch (c.name) {
      case 'Matcher':
        return { type: 'string', matcher: this.matcher(c) };
      case 'NumberFilter': {
        const [id, op, lit] = kids(c);
        if (!id || !op || !lit) return this.fail(c, 'incomplete numeric label filter');
        return { type: 'number', name: this.text(id), op: this.compareOp(op), value: this.literal(lit) };
      }
      case 'UnitFilter': {
        const f = c.firstChild;
        const [id, op, val] = f ? kids(f) : [];
        if (!f || !id || !op || !val) return this.fail(c, 'incomplete label filter');
        if (f.name === 'DurationFilter') return { type: 'duration', name: this.text(id), op: this.compareOp(op), value: this.duration(val) };
        const bytes = parseBytes(this.text(val));
        if (bytes === undefined) this.fail(val, `invalid bytes value "${this.text(val)}"`, 'a size like 20KB');
        return { type: 'bytes', name: this.text(id), op: this.compareOp(op), value: bytes };
      }
      case 'IpLabelFilter': {
        const [id, op] = kids(c);
        if (!id || !op || (op.name !== 'Eq' && op.name !== 'Neq')) return this.fail(c, 'ip() label filters only support = and !=');
        return { type: 'ip', name: this.text(id), op: op.name === 'Eq' ? '=' : '!=', pattern: this.ipPattern(this.need(c, 'String', 'a quoted IP pattern')) };
      }
      default:
        return this.fail(c, `unexpected "${this.text(c)}" in label filter`);
    }
  }

}
