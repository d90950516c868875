# One image for every role (APP_ROLE=api | worker | all). Two stages: the build has the dev dependencies
# (Nest CLI, TypeScript, the Swagger plugin); the runtime keeps the compiled dist/ and the production
# dependencies only, and runs as the unprivileged "node" user of the official image.
# Node 24, the active LTS line: Node 20 reached its end of life in April 2026, and some dependencies
# (nestjs-pino, @fastify/static's content-disposition) already declare Node >= 22. CI runs the suite on both.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# V8 grows the heap lazily, up to a limit sized from the machine's memory: a worker that needs ~100 MB
# lived at ~290 MB of RSS under load. A bound makes it collect sooner instead. Node 24 sizes the young
# generation from that bound too, up to 64 MB semi-spaces, where the worker spent 1.8 x the CPU per message
# and peaked above 320 MB; 8 MB ones cost neither (docs/performance.md, "Memory"). The bench reads this line.
# Override NODE_OPTIONS to give a process more.
ENV NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=8"
WORKDIR /app
# Owned by root and read-only to "node": the service writes nothing to its own files.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# The slim image has no curl: node's own fetch asks /health/ready, on HEALTH_PORT (a worker) or PORT (the api).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HEALTH_PORT || process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
