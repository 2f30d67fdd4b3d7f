export { createNodeFetch, defaultFetch, type NodeTransportOptions } from './transport.node';
