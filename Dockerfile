# syntax=docker/dockerfile:1
# One image, two processes: `node dist/src/main.js` (API) and `node dist/src/worker.js` (worker).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY libs ./libs
COPY src ./src
COPY scripts/build-console.ts ./scripts/
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
RUN mkdir -p public/attachments && chown node:node public/attachments
USER node
# 3000: the API (with GET /metrics); 9464: a worker's GET /metrics (METRICS_PORT).
EXPOSE 3000 9464
CMD ["node", "dist/src/main.js"]
