/**
 * Reads a byte stream (process.stdin by default) line by line into batches until EOF, for
 * `vigil run -c x.yaml < file` and pipes. Reading pauses while an emit is pending.
 */
import type { Readable } from 'node:stream';
import type { Source, SourceContext } from '../../components/contract.js';
import { errorMessage } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';
import { LineBatcher } from '../exec/line-batcher.js';

export interface StdinSourceOptions {
  /** The stream read; process.stdin unless a test gives another. */
  input: Readable;
  labels: Labels;
  maxLineBytes: number;
  batchMaxLines: number;
  batchTimeoutMs: number;
}

export class StdinSource implements Source {
  private readonly batcher: LineBatcher;
  private started = false;
  private stopped = false;
  private resolveDone!: () => void;
  /**
   * Resolves once the input ended (EOF or error) and every line read was handed to an emit that
   * settled; `vigil run` may shut down then. Never rejects.
   */
  readonly done: Promise<void>;
  private readonly onData = (b: Buffer | string): void => {
    this.batcher.push('stdin', typeof b === 'string' ? Buffer.from(b) : b);
  };
  private readonly onEnd = (): void => {
    void this.finish();
  };
  private readonly onError = (err: Error): void => {
    this.ctx.metrics.error('receiving');
    this.ctx.logger.error({ err: errorMessage(err) }, 'stdin: read failed; treating it as end of input');
    void this.finish();
  };

  constructor(private readonly ctx: SourceContext, private readonly opts: StdinSourceOptions) {
    this.batcher = new LineBatcher(ctx, {
      maxLines: opts.batchMaxLines,
      timeoutMs: opts.batchTimeoutMs,
      maxLineBytes: opts.maxLineBytes,
      labelsFor: () => opts.labels,
    }, {
      pause: () => opts.input.pause(),
      resume: () => {
        if (!this.stopped) opts.input.resume();
      },
    });
    this.done = new Promise<void>((r) => (this.resolveDone = r));
  }

  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    const input = this.opts.input;
    input.on('data', this.onData);
    input.once('end', this.onEnd);
    input.once('error', this.onError);
  }

  private detach(): void {
    const input = this.opts.input;
    input.off('data', this.onData);
    input.off('end', this.onEnd);
    input.off('error', this.onError);
  }

  private async finish(): Promise<void> {
    this.detach();
    this.batcher.endStream('stdin');
    await this.batcher.drain();
    this.batcher.close();
    this.resolveDone();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.started) {
      this.resolveDone();
      return;
    }
    this.detach();
    // Not destroyed: process.stdin belongs to the process, not to this source.
    this.opts.input.pause();
    this.batcher.endStream('stdin');
    await this.batcher.drain();
    this.batcher.close();
    this.resolveDone();
  }
}
