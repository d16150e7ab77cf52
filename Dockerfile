# One image for both roles: `node dist/server/main.js` or `node dist/workers/main.js`.
# Node 24 is a supported LTS line (Node 20 reached its end of life in April 2026).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY shared ./shared
COPY server ./server
COPY workers ./workers
# The service and its browser bundles only: tsconfig.build.json leaves test/ out. tsc does not
# copy the Lua scripts, which the code reads next to itself: build:lua does, as in npm run build.
RUN npx tsc -p tsconfig.build.json && npm run -s build:lua && npx tsc -p server/web/tsconfig.json && node dist/server/web/build.js && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/server/main.js"]
