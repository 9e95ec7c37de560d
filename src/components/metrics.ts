import { Counter, Registry } from 'prom-client';
import type { ComponentKind, ComponentMetrics, ErrorStage } from './contract.js';

/**
 * The counter families shared by all components, labelled by component id/kind/type.
 * One instance per registry; `vigil run` creates one and hands `forComponent` views to components.
 */
export class ComponentMetricFamilies {
  readonly registry: Registry;
  private readonly receivedEvents: Counter<string>;
  private readonly receivedBytes: Counter<string>;
  private readonly sentEvents: Counter<string>;
  private readonly sentBytes: Counter<string>;
  private readonly errors: Counter<string>;
  private readonly discarded: Counter<string>;

  constructor(registry: Registry) {
    this.registry = registry;
    const labelNames = ['component_id', 'component_kind', 'component_type'];
    const c = (name: string, help: string, extra: string[] = []) =>
      new Counter({ name, help, labelNames: [...labelNames, ...extra], registers: [registry] });
    this.receivedEvents = c('vigil_component_received_events_total', 'Log entries a component took in.');
    this.receivedBytes = c('vigil_component_received_bytes_total', 'Bytes of log lines a component took in.');
    this.sentEvents = c('vigil_component_sent_events_total', 'Log entries a component passed on or delivered.');
    this.sentBytes = c('vigil_component_sent_bytes_total', 'Bytes of log lines a component passed on or delivered.');
    this.errors = c('vigil_component_errors_total', 'Errors by pipeline stage.', ['stage']);
    this.discarded = c('vigil_component_discarded_events_total', 'Entries dropped or refused, by reason.', ['reason']);
  }

  forComponent(id: string, kind: ComponentKind, type: string): ComponentMetrics {
    const l = { component_id: id, component_kind: kind, component_type: type };
    const fam = this;
    return {
      registry: fam.registry,
      received(events, bytes) {
        fam.receivedEvents.inc(l, events);
        fam.receivedBytes.inc(l, bytes);
      },
      sent(events, bytes) {
        fam.sentEvents.inc(l, events);
        fam.sentBytes.inc(l, bytes);
      },
      error(stage: ErrorStage, n = 1) {
        fam.errors.inc({ ...l, stage }, n);
      },
      discarded(reason, n) {
        fam.discarded.inc({ ...l, reason }, n);
      },
    };
  }
}
