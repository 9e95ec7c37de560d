/**
 * `filesystem`: mounts from /proc/1/mounts (falling back to /proc/mounts), statfs of each, with
 * node_exporter's labels {device, fstype, mountpoint}, exclusions and stuck-mount handling: a
 * statfs that does not answer within the timeout marks the mount point stuck (device_error 1)
 * and it is not asked again until that call returns, so a dead NFS server costs one thread, once.
 */
import { family, fields, lines, type Collector, type MetricSample } from '../types.js';

/** Decodes the octal escapes the kernel writes in mount fields (`\040` space, `\011` tab, `\134` backslash). */
export function unescapeMountField(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export interface FilesystemOptions {
  mountPointsExclude: RegExp;
  fsTypesExclude: RegExp;
  /** How long one statfs may take before the mount counts as stuck (ms). */
  statfsTimeoutMs: number;
}

interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
  ro: number;
}

function parseMounts(text: string, file: string): Mount[] {
  const out: Mount[] = [];
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const f = fields(ls[i] as string);
    if (f.length === 0) continue;
    if (f.length < 4) throw new Error(`${file}:${i + 1}: ${f.length} fields, want at least 4`);
    let ro = 0;
    for (const o of (f[3] as string).split(',')) if (o === 'ro') ro = 1;
    out.push({ device: unescapeMountField(f[0] as string), mountpoint: unescapeMountField(f[1] as string), fstype: f[2] as string, ro });
  }
  return out;
}

export function filesystemCollector(o: FilesystemOptions): Collector {
  /** Mount points whose statfs has not returned yet; shared across collections on purpose. */
  const stuck = new Set<string>();
  return {
    name: 'filesystem',
    async collect(ctx) {
      let text: string;
      let file = '/proc/1/mounts';
      try {
        text = await ctx.proc('1/mounts');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
        file = '/proc/mounts';
        text = await ctx.proc('mounts');
      }
      const mounts = parseMounts(text, file).filter((m) => !o.mountPointsExclude.test(m.mountpoint) && !o.fsTypesExclude.test(m.fstype));
      const seen = new Set<string>();
      const unique: Mount[] = [];
      for (const m of mounts) {
        // A mount shadowed or bind-mounted twice is exported once, as node_exporter does.
        const key = `${m.device}\u0000${m.mountpoint}\u0000${m.fstype}`;
        if (seen.has(key)) continue;
        seen.add(key);
        unique.push(m);
      }
      const results = await Promise.all(
        unique.map(async (m) => {
          if (stuck.has(m.mountpoint)) return undefined;
          const call = ctx.statfs(m.mountpoint);
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), o.statfsTimeoutMs);
          });
          try {
            const r = await Promise.race([call, timeout]);
            if (r === 'timeout') {
              stuck.add(m.mountpoint);
              call.then(
                () => stuck.delete(m.mountpoint),
                () => stuck.delete(m.mountpoint),
              );
              return undefined;
            }
            return r;
          } catch {
            return undefined; // EACCES, ENOENT (unmounted meanwhile), EIO: device_error 1
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      const size: MetricSample[] = [];
      const free: MetricSample[] = [];
      const avail: MetricSample[] = [];
      const files: MetricSample[] = [];
      const filesFree: MetricSample[] = [];
      const readonly: MetricSample[] = [];
      const deviceError: MetricSample[] = [];
      unique.forEach((m, i) => {
        const labels = { device: m.device, fstype: m.fstype, mountpoint: m.mountpoint };
        const s = results[i];
        deviceError.push({ labels, value: s ? 0 : 1 });
        readonly.push({ labels, value: m.ro });
        if (!s) return;
        size.push({ labels, value: s.blocks * s.bsize });
        free.push({ labels, value: s.bfree * s.bsize });
        avail.push({ labels, value: s.bavail * s.bsize });
        files.push({ labels, value: s.files });
        filesFree.push({ labels, value: s.ffree });
      });
      return [
        family('node_filesystem_size_bytes', 'gauge', 'Filesystem size in bytes.', size),
        family('node_filesystem_free_bytes', 'gauge', 'Filesystem free space in bytes.', free),
        family('node_filesystem_avail_bytes', 'gauge', 'Filesystem space available to non-root users in bytes.', avail),
        family('node_filesystem_files', 'gauge', 'Filesystem total file nodes.', files),
        family('node_filesystem_files_free', 'gauge', 'Filesystem total free file nodes.', filesFree),
        family('node_filesystem_readonly', 'gauge', 'Filesystem read-only status.', readonly),
        family('node_filesystem_device_error', 'gauge', 'Whether an error occurred while getting statistics for the given device.', deviceError),
      ];
    },
  };
}
