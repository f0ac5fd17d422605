# The image `nbpipe export argo` runs its steps in (README, "Docker"): Node.js, git, Python with ipykernel, and nbpipe
# installed from a release tarball. Build it from this repository after `npm run release:pack`:
#
#   docker build --build-arg NBPIPE_TARBALL=nbpipe-0.1.0.tgz -t registry.example.com/team/nbpipe:0.1.0 .
#
# and base the project's image on it (FROM that image, then COPY the project to /app, argo.projectDir's default).
# test/release.test.ts runs each RUN line outside Docker.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends git python3 python3-ipykernel && rm -rf /var/lib/apt/lists/*
ARG NBPIPE_TARBALL
COPY ${NBPIPE_TARBALL} /tmp/nbpipe.tgz
RUN npm install -g --no-audit --no-fund /tmp/nbpipe.tgz && rm /tmp/nbpipe.tgz && nbpipe --version
WORKDIR /app
