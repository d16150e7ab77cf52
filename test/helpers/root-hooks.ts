import { setSharedRedis, startTestRedis } from './redis.js';

/** One real redis-server for the whole run, on a free port; never the machine's own 6379. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(20_000);
    setSharedRedis(await startTestRedis());
  },
  async afterAll(): Promise<void> {
    const { sharedRedis } = await import('./redis.js');
    await sharedRedis().stop();
    setSharedRedis(undefined);
  },
};
