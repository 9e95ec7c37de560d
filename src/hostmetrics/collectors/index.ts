/**
 * Every host collector, by node_exporter's collector name. The one list `HostMetrics` builds from;
 * a new collector is a file here plus one entry.
 */
import type { Collector } from '../types.js';
import { diskstatsCollector } from './diskstats.js';
import { filesystemCollector, type FilesystemOptions } from './filesystem.js';
import { filefdCollector, loadavgCollector } from './loadavg.js';
import { meminfoCollector } from './meminfo.js';
import { netclassCollector } from './netclass.js';
import { netdevCollector } from './netdev.js';
import { pressureCollector } from './pressure.js';
import { cpuCollector, statCollector } from './stat.js';
import { osCollector, timeCollector, unameCollector } from './system.js';
import { entropyCollector, netstatCollector, vmstatCollector } from './vmstat.js';

export const COLLECTOR_NAMES = ['cpu', 'diskstats', 'entropy', 'filefd', 'filesystem', 'loadavg', 'meminfo', 'netclass', 'netdev', 'netstat', 'os', 'pressure', 'stat', 'time', 'uname', 'vmstat'] as const;
export type CollectorName = (typeof COLLECTOR_NAMES)[number];

export interface CollectorOptions {
  filesystem: FilesystemOptions;
  diskDeviceExclude: RegExp;
  netDeviceExclude: RegExp | undefined;
  netclassDeviceExclude: RegExp | undefined;
}

/** Builds the named collectors (in the given order). */
export function buildCollectors(names: ReadonlyArray<CollectorName>, o: CollectorOptions): Collector[] {
  return names.map((n): Collector => {
    switch (n) {
      case 'cpu':
        return cpuCollector;
      case 'diskstats':
        return diskstatsCollector(o.diskDeviceExclude);
      case 'entropy':
        return entropyCollector;
      case 'filefd':
        return filefdCollector;
      case 'filesystem':
        return filesystemCollector(o.filesystem);
      case 'loadavg':
        return loadavgCollector;
      case 'meminfo':
        return meminfoCollector;
      case 'netclass':
        return netclassCollector(o.netclassDeviceExclude);
      case 'netdev':
        return netdevCollector(o.netDeviceExclude);
      case 'netstat':
        return netstatCollector;
      case 'os':
        return osCollector;
      case 'pressure':
        return pressureCollector;
      case 'stat':
        return statCollector;
      case 'time':
        return timeCollector;
      case 'uname':
        return unameCollector;
      case 'vmstat':
        return vmstatCollector;
    }
  });
}
