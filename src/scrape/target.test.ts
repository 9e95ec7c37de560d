import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveScrapeConfigs } from './config.js';
import { populateLabels, publicLabels, scrapeUrl } from './target.js';

function cfgOf(extra: Record<string, unknown>) {
  const { configs, issues } = resolveScrapeConfigs([{ job_name: 'j', ...extra }]);
  assert.deepEqual(issues, []);
  return configs[0] as NonNullable<(typeof configs)[0]>;
}

test('populateLabels: Prometheus defaults, default ports, meta labels removed, instance', () => {
  const cfg = cfgOf({ scrape_interval: '90s', params: { module: ['http_2xx'] } });
  const t = populateLabels(cfg, { __meta_x: 'y', team: 'a' }, 'host');
  assert.deepEqual(t.discovered, { __address__: 'host', __meta_x: 'y', __metrics_path__: '/metrics', __param_module: 'http_2xx', __scheme__: 'http', __scrape_interval__: '1m30s', __scrape_timeout__: '10s', job: 'j', team: 'a' });
  assert.deepEqual(t.labels, { __address__: 'host:80', __metrics_path__: '/metrics', __param_module: 'http_2xx', __scheme__: 'http', __scrape_interval__: '1m30s', __scrape_timeout__: '10s', job: 'j', team: 'a', instance: 'host:80' });
  assert.deepEqual(publicLabels(t.labels ?? {}), { job: 'j', team: 'a', instance: 'host:80' });
  assert.equal(scrapeUrl(t.labels ?? {}, cfg.params), 'http://host:80/metrics?module=http_2xx');
  assert.equal(populateLabels(cfgOf({ scheme: 'https' }), {}, '[::1]').labels?.__address__, '[::1]:443');
  assert.equal(populateLabels(cfgOf({}), {}, '[::1]:9100').labels?.__address__, '[::1]:9100');
});

test('populateLabels: relabeling can change scheme, path, params, interval; and can fail the target', () => {
  const cfg = cfgOf({
    params: { zz: ['z'], module: ['a', 'b'] },
    relabel_configs: [
      { source_labels: ['__address__'], target_label: '__param_target' },
      { target_label: '__address__', replacement: 'blackbox:9115' },
      { target_label: '__metrics_path__', replacement: '/probe' },
      { target_label: '__scrape_interval__', replacement: '15s' },
      { target_label: '__scrape_timeout__', replacement: '5s' },
    ],
  });
  const t = populateLabels(cfg, {}, 'example.org');
  assert.equal(scrapeUrl(t.labels ?? {}, cfg.params), 'http://blackbox:9115/probe?module=a&module=b&target=example.org&zz=z');
  assert.equal(t.labels?.instance, 'blackbox:9115');
  const bad = populateLabels(cfgOf({ relabel_configs: [{ target_label: '__scrape_timeout__', replacement: '2m' }] }), {}, 'h:1');
  assert.equal(bad.error, 'scrape timeout cannot be greater than scrape interval ("2m" > "1m")');
  assert.equal(populateLabels(cfgOf({ relabel_configs: [{ target_label: '__address__', replacement: '' }] }), {}, 'h:1').error, 'no address');
  const dropped = populateLabels(cfgOf({ relabel_configs: [{ action: 'drop', source_labels: ['__address__'] }] }), {}, 'h:1');
  assert.equal(dropped.labels, undefined);
  assert.equal(dropped.discovered.__address__, 'h:1');
});
