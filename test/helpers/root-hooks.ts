import { requireExecutable } from './prerequisites.js';
import { setSharedRedis, sharedRedisIfRunning, startTestRedis } from './redis.js';

/** One real redis-server for the whole run, on a free port; never the machine's own 6379. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(20_000);
    requireExecutable(
      'redis-server',
      'Redis 7, which every integration test runs,',
      'Debian/Ubuntu "sudo apt-get install redis-server", macOS "brew install redis"',
    );
    setSharedRedis(await startTestRedis());
  },
  async afterAll(): Promise<void> {
    // Unset when the before hook failed (no redis-server): it has said why.
    await sharedRedisIfRunning()?.stop();
    setSharedRedis(undefined);
  },
};
