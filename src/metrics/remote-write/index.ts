/** Prometheus remote write sender: config, the sender service and the store + senders fan-out. */
export { RemoteWriteConfigSchema, RemoteWriteConfigsSchema, resolveRemoteWriteConfigs } from './config.js';
export type { RemoteWriteConfigInput, ResolvedRemoteWriteConfig } from './config.js';
export { RemoteWriteSender, type RemoteWriteSenderOptions } from './sender.js';
export { FanoutAppender } from './fanout.js';
export { RemoteWriteGroup, type RemoteWriteGroupOptions } from './group.js';
