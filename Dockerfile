# purple-dot-sim as a container: the standalone binary (a Node single executable application, so no Node in
# the image) on Debian's slim base, which has the glibc and libstdc++ the binary links against.
#
#   npm ci && npm run build:binary                       # makes dist-bin/purple-dot-sim (Linux x64)
#   docker build -t purple-dot-sim .
#   docker run -p 4010:4010 -e PURPLE_DOT_SIM_CONTROL_TOKEN="$(openssl rand -hex 24)" purple-dot-sim
#
# Bound to 0.0.0.0 inside the container, the simulator refuses to start without a control token (it locks
# /__sim, which hands out every store's credentials): give it through PURPLE_DOT_SIM_CONTROL_TOKEN.
# The binary is x86-64: on an arm64 machine Docker runs this image (and the unpacking step below) emulated.
FROM --platform=linux/amd64 debian:bookworm-slim

COPY dist-bin/purple-dot-sim /usr/local/bin/purple-dot-sim

# The binary unpacks its app (about 20 MB) on its first run. Doing that here, into a cache in the image,
# makes a container start as fast as a second run and need no writable disk; the run-time user only reads it.
ENV PURPLE_DOT_SIM_CACHE_DIR=/opt/purple-dot-sim
RUN purple-dot-sim --version

# Any user without a home will do: nobody.
USER 65534:65534
EXPOSE 4010

# No curl in a slim image, and the binary has no health command of its own: bash's /dev/tcp sends one
# HTTP/1.0 request for GET /__sim/status (with the control token) and the check passes on a 200 status line.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/4010 && printf "GET /__sim/status HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n" "$PURPLE_DOT_SIM_CONTROL_TOKEN" >&3 && read -r status <&3 && [[ "$status" == *" 200 "* ]]'

ENTRYPOINT ["purple-dot-sim"]
CMD ["serve", "--host", "0.0.0.0", "--port", "4010"]
