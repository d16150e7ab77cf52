/**
 * The services of `docker compose config` output, one text block each, without a YAML
 * parser: Compose prints a regular layout (top-level keys at column 0, each service at two
 * spaces under `services:`), the same in the plugin and in the standalone docker-compose 1.x.
 */
export interface ComposeService {
  name: string;
  /** The service's lines, whitespace runs collapsed to one space: a long value that Compose
   *  folded over several lines reads as one line again. */
  text: string;
  /** Its `profiles:` (empty for a service that always starts). */
  profiles: string[];
  /** The host port of each published port. */
  ports: string[];
  /** The host address of each published port that names one (`every interface` when the
   *  short form has none): as many as `ports` when every port is bound to an address. */
  hosts: string[];
}

export function composeServices(config: string): ComposeService[] {
  const services: ComposeService[] = [];
  let inServices = false;
  let current: { name: string; lines: string[] } | undefined;
  const flush = (): void => {
    if (current) services.push(describe(current.name, current.lines));
    current = undefined;
  };
  for (const line of config.split('\n')) {
    if (/^\S/.test(line)) {
      flush();
      inServices = line.startsWith('services:');
      continue;
    }
    if (!inServices) continue;
    const start = /^ {2}([^\s:]+):\s*$/.exec(line);
    if (start) {
      flush();
      current = { name: start[1]!, lines: [] };
    } else current?.lines.push(line);
  }
  flush();
  return services;
}

function describe(name: string, lines: string[]): ComposeService {
  const block = lines.join('\n');
  const profiles: string[] = [];
  const at = lines.findIndex((l) => /^ {4}profiles:/.test(l));
  if (at >= 0) {
    for (const line of lines.slice(at + 1)) {
      const item = /^ {4,6}- ['"]?([^'"\s]+)/.exec(line);
      if (!item) break;
      profiles.push(item[1]!);
    }
  }
  // docker-compose 1.x prints `- 127.0.0.1:3000:3000/tcp`; the plugin prints the long form
  // (`published: "3000"` and `host_ip: 127.0.0.1` lines).
  const short = [...block.matchAll(/^\s*- (?:(\S+):)?(\d+):\d+\/tcp$/gm)];
  const ports = [
    ...short.map((m) => m[2]!),
    ...[...block.matchAll(/published: ['"]?(\d+)/g)].map((m) => m[1]!),
  ];
  const hosts = [
    ...short.map((m) => m[1] ?? 'every interface'),
    ...[...block.matchAll(/host_ip: ['"]?([^'"\s]+)/g)].map((m) => m[1]!),
  ];
  return {
    name,
    text: block.replace(/\s+/g, ' '),
    profiles,
    ports,
    hosts,
  };
}
