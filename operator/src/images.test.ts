import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The one Dockerfile (repository root) builds all four images with SERVICE/SERVICE_DIR/PORT build arguments;
// infra/images.sh builds them for real with buildah. These checks keep it consistent with the workspaces.
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const text = readFileSync(`${REPO}Dockerfile`, 'utf8');
const lines = text.split('\n');
const images = readFileSync(`${REPO}infra/images.sh`, 'utf8');
const IMAGES = [...images.matchAll(/^ {2}"([a-z-]+):([a-z-]+):([a-z/-]+):(\d+)"$/gm)].map((m) => ({ name: m[1]!, service: m[2]!, dir: m[3]!, port: Number(m[4]) }));
const workspaces = (JSON.parse(readFileSync(`${REPO}package.json`, 'utf8')) as { workspaces: string[] }).workspaces;

describe('Dockerfile', () => {
  it('is multi-stage, runs as a numeric non-root user, has a HEALTHCHECK and starts src/main.ts of the workspace', () => {
    expect(lines.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(3);
    expect(lines.filter((l) => l.startsWith('USER ')).pop()).toMatch(/^USER [1-9]\d*(:\d+)?$/);
    expect(text).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(text).toContain('WORKDIR /app/${SERVICE_DIR}');
    expect(JSON.parse(lines.find((l) => l.startsWith('CMD '))!.slice(4))).toEqual(['node', 'src/main.ts']);
  });

  it('copies every workspace manifest (so `npm ci` sees the whole lockfile) and nothing that does not exist', () => {
    const copied = lines.filter((l) => /^COPY (?!--)\S*package\.json /.test(l)).map((l) => l.split(' ')[1]!);
    const expected = workspaces.flatMap((w) => (w.endsWith('/*') ? [] : [`${w}/package.json`]));
    for (const w of workspaces.filter((x) => x.endsWith('/*'))) {
      const dir = w.slice(0, -2);
      for (const d of readdirSync(`${REPO}${dir}`)) if (existsSync(`${REPO}${dir}/${d}/package.json`)) expected.push(`${dir}/${d}/package.json`);
    }
    expect(new Set(copied)).toEqual(new Set([...expected, 'package.json']));
    for (const f of copied) expect(existsSync(`${REPO}${f}`)).toBe(true);
  });

  it('builds the web client inside the image', () => {
    expect(text).toMatch(/RUN node web\/src\/build\.ts/);
    expect(text).toContain('COPY --from=web /app/web/public /app/web/public');
  });
});

describe.each(IMAGES)('image $name (infra/images.sh)', ({ service, dir, port }) => {
  it('names a workspace that starts with src/main.ts and listens on its port by default', () => {
    expect(existsSync(`${REPO}${dir}/src/main.ts`)).toBe(true);
    const pkg = JSON.parse(readFileSync(`${REPO}${dir}/package.json`, 'utf8')) as { scripts?: { start?: string } };
    expect(pkg.scripts?.start).toBe('node src/main.ts');
    expect(text).toContain(`--workspace=@sunsu/${service}`);
    const config = readFileSync(`${REPO}${dir}/src/config.ts`, 'utf8');
    expect(config).toContain(`default(${port})`);
  });
});

it('infra/images.sh builds the four deployables', () => {
  expect(IMAGES.map((i) => i.name)).toEqual(['chat-server', 'dispatcher', 'syncer', 'chat-operator']);
});
