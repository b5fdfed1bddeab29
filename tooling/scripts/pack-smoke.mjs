#!/usr/bin/env node
// Packs @espada/infra-core and @espada/infra-sdk, installs the two tarballs alone into a scratch
// project outside the workspace, checks nothing else of ours (and no third-party package beyond zod
// and mitt) came with them, checks that they run from their shipped code caches and that a CommonJS
// consumer's `require()` of them gets their CommonJS facades and the objects `import()` gives, then
// type-checks the spec's SDK examples under the strict tsconfig and runs them. Then follows
// docs/getting-started.md as a new user would, in a second scratch project: installs the two tarballs
// (in place of the registry names) plus TypeScript, writes every file the page gives
// (`<!-- file: path -->` before a code block), compiles, runs the page's script and its conformance
// tests with `node --test`.
import {
  existsSync,
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  copyFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execFileSync } from "node:child_process";

const workspace = resolve(".");
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
const scratch = mkdtempSync(join(tmpdir(), "espada-sdk-smoke-"));
const tarballs = join(scratch, "tarballs");
const project = join(scratch, "project");
mkdirSync(tarballs);
mkdirSync(join(project, "src"), { recursive: true });

/** The files docs/getting-started.md gives: each code block preceded by `<!-- file: path -->`. */
function gettingStartedFiles() {
  const page = readFileSync(join(workspace, "docs", "getting-started.md"), "utf8");
  const blocks = [...page.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)].map(
    ([, path, body]) => [path, `${body}\n`],
  );
  if (blocks.length === 0) throw new Error("docs/getting-started.md gives no `<!-- file: … -->` code blocks");
  return blocks;
}

function followGettingStarted(tarballFiles) {
  const guide = join(scratch, "getting-started");
  mkdirSync(join(guide, "src"), { recursive: true });
  writeFileSync(
    join(guide, "package.json"),
    JSON.stringify({ name: "queue-provider", private: true, type: "module" }, null, 2),
  );
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballFiles], guide);
  const versions = (name) =>
    JSON.parse(readFileSync(join(workspace, "node_modules", name, "package.json"), "utf8")).version;
  run(
    "npm",
    [
      "install",
      "-D",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      `typescript@${versions("typescript")}`,
      `@types/node@${versions("@types/node")}`,
    ],
    guide,
  );
  for (const [path, body] of gettingStartedFiles()) writeFileSync(join(guide, path), body);
  run(process.execPath, [join(guide, "node_modules", "typescript", "bin", "tsc")], guide);
  process.stdout.write(run(process.execPath, [join("dist", "try.js")], guide));
  process.stdout.write(run(process.execPath, ["--test", "dist/"], guide));
  console.log("getting started: the page's provider compiles, runs and passes the conformance suite");
}

try {
  for (const dir of ["core", "sdk"])
    run("pnpm", ["pack", "--pack-destination", tarballs], join(workspace, "packages", dir));
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  console.log(`packed: ${readdirSync(tarballs).join(", ")}`);

  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "provider-author", private: true, type: "module" }, null, 2),
  );
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...files], project);

  const tree = JSON.parse(run("npm", ["ls", "--all", "--json"], project));
  const names = new Set();
  const walk = (deps = {}) => {
    for (const [name, info] of Object.entries(deps)) {
      names.add(name);
      walk(info.dependencies);
    }
  };
  walk(tree.dependencies);
  const allowed = new Set(["@espada/infra-core", "@espada/infra-sdk", "zod", "mitt"]);
  const extra = [...names].filter((n) => !allowed.has(n));
  console.log(`installed: ${[...names].sort().join(", ")}`);
  if (extra.length > 0) throw new Error(`sdk + core brought unexpected packages: ${extra.join(", ")}`);

  // tsc -b never deletes outputs of removed sources: a stale dist file would ship in the tarball.
  // (dist/runtime/ holds the package's compiled code, dist/vendor/ the vendored libraries; the
  // bundle step empties both on every build.)
  for (const [dir, name] of [
    ["core", "infra-core"],
    ["sdk", "infra-sdk"],
  ]) {
    const dist = join(project, "node_modules", "@espada", name, "dist");
    const stale = readdirSync(dist, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".js") && !f.startsWith("runtime/") && !f.startsWith("vendor/"))
      .filter((f) => !existsSync(join(workspace, "packages", dir, "src", f.replace(/\.js$/, ".ts"))));
    if (stale.length > 0)
      throw new Error(
        `@espada/${name} ships dist files without a source (delete them and rebuild): ${stale.join(", ")}`,
      );
  }

  // The installed sdk and core run their code and core's vendored zod from the code caches in their
  // tarballs (npm gives a cache and its script one modification time, which the loader accepts).
  // Importing the sdk loads no zod (schemas are built on first use): building one does.
  const cacheCheck = [
    'await import("@espada/infra-sdk");',
    'const { z } = await import("@espada/infra-core/zod");',
    'z.string().parse("built");',
    'const ran = [...globalThis[Symbol.for("espada.cachedScripts")]];',
    'process.stdout.write(JSON.stringify(ran.map(([path, r]) => [path.replace(/^.*node_modules\\//, ""), r.codeCacheUsed])));',
  ].join(" ");
  const scripts = JSON.parse(run(process.execPath, ["--input-type=module", "-e", cacheCheck], project));
  const expected = [
    "@espada/infra-sdk/dist/runtime/code.js",
    "@espada/infra-core/dist/runtime/code.js",
    "@espada/infra-core/dist/vendor/libs.js",
  ];
  const missing = expected.filter((path) => !scripts.some(([ran, used]) => ran === path && used === true));
  if (missing.length > 0)
    throw new Error(
      `installed from their tarballs, these do not run from their code caches: ${missing.join(", ")} (ran: ${JSON.stringify(scripts)})`,
    );
  console.log("the installed sdk and core run their code and zod from the shipped code caches");

  // A CommonJS consumer (a host that require()s plugins): its require() of sdk and core reaches their
  // CommonJS facades only, and hands out the very objects import() does.
  writeFileSync(
    join(project, "consumer.cjs"),
    [
      "const names = ['@espada/infra-sdk', '@espada/infra-core'];",
      "const required = names.map((name) => require(name));",
      "const facades = Object.keys(require.cache).filter((f) => f.includes('/node_modules/@espada/')).map((f) => f.replace(/^.*node_modules\\//, ''));",
      "Promise.all(names.map((name) => import(name))).then((namespaces) => {",
      "  const different = namespaces.flatMap((ns, i) => Object.keys(ns).filter((k) => ns[k] !== required[i][k]).map((k) => `${names[i]}.${k}`));",
      "  process.stdout.write(JSON.stringify({ facades, different, exports: namespaces.map((ns) => Object.keys(ns).length) }));",
      "});",
    ].join("\n"),
  );
  const consumer = JSON.parse(run(process.execPath, ["consumer.cjs"], project));
  const wanted = ["@espada/infra-sdk/dist/index.cjs", "@espada/infra-core/dist/index.cjs"];
  const notCommonJs = consumer.facades.filter((f) => !f.endsWith(".cjs"));
  if (
    wanted.some((f) => !consumer.facades.includes(f)) ||
    notCommonJs.length > 0 ||
    consumer.different.length > 0 ||
    consumer.exports.some((count) => count === 0)
  )
    throw new Error(
      `a CommonJS consumer's require() of sdk and core went wrong: ${JSON.stringify(consumer)}`,
    );
  console.log(
    `a CommonJS consumer requires sdk and core through their CommonJS facades (${consumer.facades.length} files) and gets the objects import() gives`,
  );

  const examples = join(workspace, "examples", "spec-sdk", "src");
  for (const f of readdirSync(examples).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
    copyFileSync(join(examples, f), join(project, "src", f));
  }
  const base = JSON.parse(readFileSync(join(workspace, "tsconfig.base.json"), "utf8")).compilerOptions;
  const { composite: _c, incremental: _i, declaration: _d, declarationMap: _m, ...strict } = base;
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          ...strict,
          rootDir: "src",
          outDir: "dist",
          // Node's globals (console, AbortSignal) come from the workspace's @types/node, so the
          // scratch project's node_modules holds nothing but the two tarballs and their deps.
          typeRoots: [join(workspace, "node_modules", "@types")],
          types: ["node"],
        },
        include: ["src"],
      },
      null,
      2,
    ),
  );
  run(
    process.execPath,
    [join(workspace, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"],
    project,
  );
  console.log("type-check: the spec's SDK examples compile under the strict tsconfig");
  const output = run(process.execPath, [join("dist", "run.js")], project);
  process.stdout.write(output);
  followGettingStarted(files);
  console.log(`pack smoke passed (${scratch})`);
  rmSync(scratch, { recursive: true, force: true });
} catch (error) {
  console.error(`pack smoke failed; scratch project kept at ${scratch}`);
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
