/**
 * GET|POST /loki/api/v1/labels (alias /label), /loki/api/v1/label/:name/values and
 * /loki/api/v1/series: answered from the querier's index, `{status:"success", data:[...]}`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import { isValidLabelName, type LabelMatcher } from '../../core/labels.js';
import type { LogQuerier } from '../../store/interfaces.js';
import { tenantOf } from '../tenant.js';
import { formOf, registerFormParser } from './form.js';
import { parseBounds, type FormValues } from './params.js';
import { parseSelector, SelectorSyntaxError } from './selector.js';

export interface LabelsPluginOptions {
  querier: LogQuerier;
  multiTenant: boolean;
}

/** Parses one selector parameter; BAD_REQUEST naming the parameter on failure. */
function selectorParam(param: string, text: string): LabelMatcher[] {
  try {
    return parseSelector(text);
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw new VigilError('BAD_REQUEST', `invalid ${param} parameter ${JSON.stringify(text)}: ${e.message}`);
    throw e;
  }
}

function optionalMatchers(form: FormValues): LabelMatcher[] | undefined {
  const q = form.get('query');
  return q.trim() === '' ? undefined : selectorParam('query', q);
}

function boundsOf(request: FastifyRequest): { form: FormValues; start: number; end: number } {
  const form = formOf(request);
  const { start, end } = parseBounds(form);
  if (end < start) throw new VigilError('BAD_REQUEST', 'invalid end parameter: end timestamp must not be before start time');
  return { form, start, end };
}

/** Registers the label and series routes. */
export async function labelsPlugin(app: FastifyInstance, opts: LabelsPluginOptions): Promise<void> {
  registerFormParser(app);
  const { querier } = opts;

  const labelNames = async (request: FastifyRequest) => {
    const tenant = tenantOf(request, opts.multiTenant);
    const { form, start, end } = boundsOf(request);
    const names = await querier.labelNames(tenant, start, end, optionalMatchers(form));
    return { status: 'success', data: [...names].sort() };
  };
  app.route({ method: ['GET', 'POST'], url: '/loki/api/v1/labels', handler: labelNames });
  app.route({ method: ['GET', 'POST'], url: '/loki/api/v1/label', handler: labelNames });

  app.route<{ Params: { name: string } }>({
    method: ['GET', 'POST'],
    url: '/loki/api/v1/label/:name/values',
    handler: async (request) => {
      const tenant = tenantOf(request, opts.multiTenant);
      const name = request.params.name;
      if (!isValidLabelName(name)) throw new VigilError('BAD_REQUEST', `invalid label name ${JSON.stringify(name)}: names match [a-zA-Z_][a-zA-Z0-9_]*`);
      const { form, start, end } = boundsOf(request);
      const values = await querier.labelValues(tenant, name, start, end, optionalMatchers(form));
      return { status: 'success', data: [...values].sort() };
    },
  });

  app.route({
    method: ['GET', 'POST'],
    url: '/loki/api/v1/series',
    handler: async (request) => {
      const tenant = tenantOf(request, opts.multiTenant);
      const { form, start, end } = boundsOf(request);
      const raw = [...form.getAll('match[]'), ...form.getAll('match')];
      if (raw.length === 0) throw new VigilError('BAD_REQUEST', 'match[] parameter is required: at least one stream selector such as {app="api"}');
      const sets = raw.map((text) => {
        const ms = selectorParam('match[]', text);
        if (ms.length === 0) throw new VigilError('BAD_REQUEST', `invalid match[] parameter ${JSON.stringify(text)}: 0 matchers in group`);
        return ms;
      });
      const series = await querier.series(tenant, sets, start, end);
      return { status: 'success', data: series.map((s) => s.labels) };
    },
  });
}
