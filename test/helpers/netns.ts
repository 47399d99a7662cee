// The namespace topology harness lives in src/lab/ so that `vrrpd lab` uses it too.
export * from '../../src/lab/netns.js';
