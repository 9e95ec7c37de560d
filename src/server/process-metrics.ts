/** Node.js process metrics on /metrics (prefix `vigil_process_`), minus the ones that break Prometheus's naming rules. */
import { collectDefaultMetrics, type Registry } from 'prom-client';

// prom-client exposes these gauges with a `_total` suffix, which `promtool check metrics` flags
// (only counters may end in _total); the open handles/requests are not worth a lint failure.
const MISNAMED = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: 'vigil_process_' });
  for (const m of MISNAMED) registry.removeSingleMetric(`vigil_process_${m}`);
}
