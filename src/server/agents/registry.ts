/**
 * The server's list of agents that reported themselves (`POST /api/vigil/v1/agents`), persisted
 * to `<dataDir>/agents.json` (write temp + rename, so a crash leaves the old or the new file,
 * never half of one) and exported as the gauge `vigil_agents{status="up"|"stale"}`.
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { AgentReport } from '../../agent-identity/report.js';

/** What the server keeps about an agent: its last report, when it came and from where. */
export interface AgentRecord {
  report: AgentReport;
  first_seen: string;
  last_seen: string;
  /** Remote address of the last report. */
  address?: string;
}

/** An agent as `GET /api/vigil/v1/agents` shows it. */
export interface AgentView extends AgentReport {
  first_seen: string;
  last_seen: string;
  address?: string;
  status: 'up' | 'stale';
}

export interface AgentRegistryOptions {
  dataDir: string;
  logger: Logger;
  /** Registers `vigil_agents{status}` here when given. */
  metrics?: Registry;
  /** Wall clock in ms (tests). */
  now?: () => number;
  /** Coalesce writes: at most one per this many ms (default 1000). */
  writeDelayMs?: number;
}

/** Report interval assumed when an agent does not say (the `vigil` sink's default). */
const DEFAULT_INTERVAL_S = 60;

const FILE_VERSION = 1;

export class AgentRegistry {
  private readonly agents = new Map<string, AgentRecord>();
  private readonly file: string;
  private readonly now: () => number;
  private readonly writeDelayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private closed = false;

  /**
   * Loads `<dataDir>/agents.json` if present. A corrupt file is moved aside (`agents.json.corrupt`)
   * and logged; the registry then starts empty (agents re-report within their interval).
   */
  constructor(private readonly o: AgentRegistryOptions) {
    this.file = join(o.dataDir, 'agents.json');
    this.now = o.now ?? Date.now;
    this.writeDelayMs = o.writeDelayMs ?? 1000;
    mkdirSync(o.dataDir, { recursive: true });
    this.load();
    if (o.metrics) this.registerGauge(o.metrics);
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.o.logger.error({ file: this.file, error: (e as Error).message }, 'cannot read the agents file; starting with no agents');
      return;
    }
    try {
      const doc = JSON.parse(text) as { version?: unknown; agents?: unknown };
      if (doc.version !== FILE_VERSION || !Array.isArray(doc.agents)) throw new Error(`expected {"version":${FILE_VERSION},"agents":[...]}`);
      for (const [i, a] of doc.agents.entries()) {
        const r = a as Partial<AgentRecord> | null;
        if (!r || typeof r !== 'object' || typeof r.report?.id !== 'string' || typeof r.last_seen !== 'string' || typeof r.first_seen !== 'string') {
          this.o.logger.warn({ file: this.file, path: `agents[${i}]` }, 'skipping a malformed agent record');
          continue;
        }
        this.agents.set(r.report.id, r as AgentRecord);
      }
    } catch (e) {
      const aside = `${this.file}.corrupt`;
      this.o.logger.error({ file: this.file, moved_to: aside, error: (e as Error).message }, 'the agents file is corrupt; moved aside, starting with no agents');
      try {
        renameSync(this.file, aside);
      } catch {
        // If it cannot be moved, the next write replaces it anyway.
      }
    }
  }

  private registerGauge(reg: Registry): void {
    if (reg.getSingleMetric('vigil_agents')) reg.removeSingleMetric('vigil_agents');
    const self = this;
    new Gauge({
      name: 'vigil_agents',
      help: 'Agents known to this server by status (stale: no report for three of its intervals).',
      labelNames: ['status'],
      registers: [reg],
      collect() {
        let up = 0;
        let stale = 0;
        for (const a of self.agents.values()) if (self.statusOf(a) === 'up') up++;
        else stale++;
        this.set({ status: 'up' }, up);
        this.set({ status: 'stale' }, stale);
      },
    });
  }

  private statusOf(a: AgentRecord): 'up' | 'stale' {
    const interval = a.report.report_interval_s ?? DEFAULT_INTERVAL_S;
    return this.now() - Date.parse(a.last_seen) > 3 * interval * 1000 ? 'stale' : 'up';
  }

  /** Records a (validated) report; persists it shortly after. */
  report(report: AgentReport, address?: string): AgentView {
    const at = new Date(this.now()).toISOString();
    const prev = this.agents.get(report.id);
    const rec: AgentRecord = { report: pick(report), first_seen: prev?.first_seen ?? at, last_seen: at };
    if (address !== undefined) rec.address = address;
    this.agents.set(report.id, rec);
    this.scheduleWrite();
    return this.view(rec);
  }

  private view(a: AgentRecord): AgentView {
    const v: AgentView = { ...a.report, first_seen: a.first_seen, last_seen: a.last_seen, status: this.statusOf(a) };
    if (a.address !== undefined) v.address = a.address;
    return v;
  }

  /** Every known agent, by host name then id. */
  list(): AgentView[] {
    return [...this.agents.values()].map((a) => this.view(a)).sort((x, y) => (x.hostname < y.hostname ? -1 : x.hostname > y.hostname ? 1 : x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  }

  get(id: string): AgentView | undefined {
    const a = this.agents.get(id);
    return a ? this.view(a) : undefined;
  }

  private scheduleWrite(): void {
    this.dirty = true;
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.writeDelayMs);
    this.timer.unref();
  }

  /** Writes pending changes now (temp file + rename). Rejects when the write fails; changes stay pending. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const run = async (): Promise<void> => {
      if (!this.dirty) return;
      this.dirty = false;
      const doc = { version: FILE_VERSION, agents: [...this.agents.values()] };
      const tmp = `${this.file}.tmp-${process.pid}`;
      try {
        await writeFile(tmp, `${JSON.stringify(doc)}\n`);
        await rename(tmp, this.file);
      } catch (e) {
        this.dirty = true;
        this.o.logger.error({ file: this.file, error: (e as Error).message }, 'cannot write the agents file');
        throw e;
      }
    };
    // Serialize writes so an older snapshot never lands after a newer one.
    const p = this.writing.then(run, run);
    this.writing = p.catch(() => undefined);
    return p;
  }

  /** Flushes and stops scheduling writes; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush().catch(() => undefined);
  }
}

/** Keeps only the keys this server knows, so unknown extras of a newer agent are not stored. */
function pick(r: AgentReport): AgentReport {
  const out: AgentReport = {
    id: r.id,
    hostname: r.hostname,
    version: r.version,
    started_at: r.started_at,
    os: { platform: r.os.platform, release: r.os.release, arch: r.os.arch },
    node: r.node,
    sources: r.sources.map((s) => (s.summary !== undefined ? { id: s.id, type: s.type, summary: s.summary } : { id: s.id, type: s.type })),
    sinks: r.sinks.map((s) => ({ id: s.id, type: s.type })),
    labels: { ...r.labels },
  };
  if (r.report_interval_s !== undefined) out.report_interval_s = r.report_interval_s;
  return out;
}
