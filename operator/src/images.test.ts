import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// No Docker engine on the development machines: these checks keep the Dockerfiles honest without building them
// (the kind-e2e target builds them where Docker exists).
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const IMAGES = [
  { dir: 'services/chat-server', port: 8080 },
  { dir: 'services/dispatcher', port: 9091 },
  { dir: 'services/syncer', port: 9092 },
  { dir: 'operator', port: 8081 },
];

describe.each(IMAGES)('$dir/Dockerfile', ({ dir, port }) => {
  const text = readFileSync(`${REPO}${dir}/Dockerfile`, 'utf8');
  const lines = text.split('\n');

  it('is multi-stage, runs as a numeric non-root user and has a HEALTHCHECK on /healthz', () => {
    expect(lines.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(2);
    const user = lines.filter((l) => l.startsWith('USER ')).pop();
    expect(user).toMatch(/^USER [1-9]\d*(:\d+)?$/);
    expect(text).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(text).toContain(`EXPOSE ${port}`);
  });

  it('copies only paths that exist and starts the workspace the way its package.json does', () => {
    for (const l of lines.filter((x) => x.startsWith('COPY --from=build '))) {
      const src = l.split(' ')[2]!.replace(/^\/app\//, '');
      expect(existsSync(`${REPO}${src}`)).toBe(true);
    }
    const cmd = JSON.parse(lines.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
    const pkg = JSON.parse(readFileSync(`${REPO}${dir}/package.json`, 'utf8')) as { name: string; scripts?: { start?: string } };
    expect(cmd).toEqual(['node', `${dir}/${(pkg.scripts?.start ?? '').replace(/^node /, '')}`]);
    expect(text).toContain(`--workspace=${pkg.name}`);
  });
});
