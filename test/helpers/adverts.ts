// Advert builders and contexts shared by the codec tests.
import type { AdvertContext, VrrpAdvert } from '../../src/vrrp/codec.js';

export const V4: AdvertContext = { family: 4, srcAddress: '192.0.2.1', dstAddress: '224.0.0.18' };
export const V6: AdvertContext = { family: 6, srcAddress: 'fe80::1', dstAddress: 'ff02::12' };

export const v2 = (over: Partial<Extract<VrrpAdvert, { version: 2 }>> = {}): VrrpAdvert => ({
  version: 2,
  type: 1,
  vrid: 51,
  priority: 150,
  advertIntervalSec: 1,
  authType: 0,
  authData: Buffer.alloc(8),
  addresses: ['192.0.2.50'],
  ...over,
});

export const v3 = (over: Partial<Extract<VrrpAdvert, { version: 3 }>> = {}): VrrpAdvert => ({
  version: 3,
  type: 1,
  vrid: 51,
  priority: 100,
  maxAdvertIntervalCs: 100,
  addresses: ['192.0.2.50'],
  ...over,
});
