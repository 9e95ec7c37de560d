/**
 * Counts the newline-terminated lines of a file another process is appending to, reading only the
 * bytes added since the last call. The syslog bench polls it to see when a receiver has written
 * every line (the same test for rsyslog, syslog-ng and Vigil).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK = 4 << 20;

export class LineCounter {
  private fd: number | undefined;
  private offset = 0;
  private lines = 0;
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  constructor(private readonly path: string) {}

  /** Lines complete so far (0 while the file does not exist yet). */
  poll(): number {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw e;
      }
    }
    const size = fstatSync(this.fd).size;
    while (this.offset < size) {
      const n = readSync(this.fd, this.buf, 0, Math.min(CHUNK, size - this.offset), this.offset);
      if (n <= 0) break;
      this.offset += n;
      let i = this.buf.indexOf(10, 0);
      while (i >= 0 && i < n) {
        this.lines++;
        i = this.buf.indexOf(10, i + 1);
      }
    }
    return this.lines;
  }

  /** Bytes read so far. */
  get bytes(): number {
    return this.offset;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
