/**
 * Config section `host_metrics:`. Defaults are node_exporter 1.x's upstream flag defaults, so the
 * same series appear as from a stock node_exporter.
 */
import { Type, type Static } from '@sinclair/typebox';
import { COLLECTOR_NAMES } from './collectors/index.js';

/** `--collector.filesystem.mount-points-exclude` (upstream 1.5 default). */
export const DEFAULT_MOUNT_POINTS_EXCLUDE = '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';
/** `--collector.filesystem.fs-types-exclude`. */
export const DEFAULT_FS_TYPES_EXCLUDE =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$';
/** `--collector.diskstats.device-exclude` (1.5; later versions add `z?ram`). */
export const DEFAULT_DISK_DEVICE_EXCLUDE = '^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$';

const Regex = (def: string, description: string) => Type.String({ format: 'regex-re2', default: def, description });

export const HostMetricsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Collect this host\'s metrics (node_exporter names) into the metrics store.' }),
    interval: Type.String({ format: 'prom-duration', default: '15s', description: 'How often to collect.' }),
    collectors: Type.Array(Type.Union(COLLECTOR_NAMES.map((n) => Type.Literal(n))), {
      uniqueItems: true,
      default: [...COLLECTOR_NAMES],
      description: `Collectors to run (node_exporter's names): ${COLLECTOR_NAMES.join(', ')}. Default: all.`,
    }),
    labels: Type.Record(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }), Type.String(), {
      default: {},
      description: 'Labels added to every series; `job` (default "node") and `instance` (default the hostname) may be overridden here.',
    }),
    root_path: Type.String({ default: '/', description: 'Read /proc, /sys and /etc under this prefix (a host filesystem mounted into a container, or a test fixture).' }),
    filesystem: Type.Object(
      {
        mount_points_exclude: Regex(DEFAULT_MOUNT_POINTS_EXCLUDE, 'Mount points to skip (regex).'),
        fs_types_exclude: Regex(DEFAULT_FS_TYPES_EXCLUDE, 'Filesystem types to skip (regex).'),
        statfs_timeout: Type.String({ format: 'prom-duration', default: '5s', description: 'A statfs slower than this marks the mount stuck (device_error 1) until it answers.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    diskstats: Type.Object({ device_exclude: Regex(DEFAULT_DISK_DEVICE_EXCLUDE, 'Block devices to skip (regex).') }, { additionalProperties: false, default: {} }),
    netdev: Type.Object({ device_exclude: Regex('', 'Network devices to skip in /proc/net/dev counters (regex); empty: none.') }, { additionalProperties: false, default: {} }),
    netclass: Type.Object({ device_exclude: Regex('', 'Network devices to skip in /sys/class/net properties (regex); empty: none.') }, { additionalProperties: false, default: {} }),
  },
  { additionalProperties: false, default: {}, description: 'Host metrics from /proc and /sys with node_exporter\'s metric names.' },
);

export type HostMetricsConfig = Static<typeof HostMetricsSchema>;
