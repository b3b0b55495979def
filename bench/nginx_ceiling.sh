# shellcheck shell=bash
# Sourced by the HTTP benchmarks (http_hello.sh, ingest.sh): the load tools, and nginx as the
# ceiling they measure against, answering 204 to every request without doing anything.

# Installs nginx-light, wrk and nghttp2-client (h2load) if missing (Debian); sets NGINX.
install_load_tools() {
  local need=() sudo=""
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
  command -v wrk >/dev/null || need+=(wrk)
  command -v h2load >/dev/null || need+=(nghttp2-client)
  if ((${#need[@]})); then
    [[ $(id -u) -ne 0 ]] && sudo=sudo
    $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  fi
  # shellcheck disable=SC2034  # used by the scripts that source this one
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
}

# write_nginx_conf DIR H1_PORT H2C_PORT: DIR/nginx.conf, one worker, keep-alive unlimited,
# 204 for everything on 127.0.0.1:H1_PORT (HTTP/1.1) and :H2C_PORT (h2c; nginx 1.22 serves
# h2c on a port of its own). Its pid, logs and temporary files stay in DIR.
write_nginx_conf() {
  local dir=$1 h1=$2 h2c=$3
  mkdir -p "$dir/nginx_tmp"
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile 20000;
pid $dir/nginx.pid;
error_log $dir/nginx_error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  client_body_temp_path $dir/nginx_tmp;
  client_body_buffer_size 1m;
  client_max_body_size 2m;
  server { listen 127.0.0.1:$h1; location / { return 204; } }
  server { listen 127.0.0.1:$h2c http2; location / { return 204; } }
}
CONF
}
