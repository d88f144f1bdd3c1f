import { describe, expect, it } from 'vitest';
import { createFakeClient } from '../test/fake-client';
import { releaseWarmOnClose } from './release-on-close';

describe('releaseWarmOnClose', () => {
  it('closing the page releases every warm appliance, once', () => {
    const client = createFakeClient();
    const target = new EventTarget();
    releaseWarmOnClose(client, target as unknown as Window);
    target.dispatchEvent(new Event('beforeunload'));
    target.dispatchEvent(new Event('pagehide'));
    expect(client.callsOf('image.release')).toEqual([{}]);
  });

  it('a page back from the cache releases again when it closes again; removed hooks do nothing', () => {
    const client = createFakeClient();
    const target = new EventTarget();
    const remove = releaseWarmOnClose(client, target as unknown as Window);
    target.dispatchEvent(new Event('pagehide'));
    target.dispatchEvent(new Event('pageshow'));
    target.dispatchEvent(new Event('pagehide'));
    expect(client.callsOf('image.release')).toEqual([{}, {}]);
    remove();
    target.dispatchEvent(new Event('pageshow'));
    target.dispatchEvent(new Event('pagehide'));
    expect(client.callsOf('image.release')).toHaveLength(2);
  });

  it('defaults to the window', () => {
    const client = createFakeClient();
    const remove = releaseWarmOnClose(client);
    window.dispatchEvent(new Event('pagehide'));
    remove();
    expect(client.callsOf('image.release')).toEqual([{}]);
  });
});
