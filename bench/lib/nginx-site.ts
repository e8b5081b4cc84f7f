// The nginx site in front of several `gramlens serve` processes: one text, used by `npm run
// bench:scale`, by the scale-out test and, for example addresses, by docs/deployment.md (a test
// checks the document shows exactly what this writes).

export interface NginxSiteOptions {
  /** host:port of each `gramlens serve`. */
  servers: readonly string[];
  /** nginx's `listen` parameters, e.g. `127.0.0.1:8080` or `443 ssl`. */
  listen: string;
  serverName?: string;
  tls?: { certificate: string; key: string };
}

/** The `upstream` and `server` blocks (they go inside nginx's `http` block, e.g. in /etc/nginx/conf.d/). */
export function nginxSite({ servers, listen, serverName, tls }: NginxSiteOptions): string {
  if (servers.length === 0) throw new Error('an nginx site needs at least one gramlens server');
  return [
    'upstream gramlens {',
    '    least_conn;',
    ...servers.map((server) => `    server ${server} max_fails=1 fail_timeout=5s;`),
    '    keepalive 32;',
    '}',
    '',
    'server {',
    `    listen ${listen};`,
    ...(serverName ? [`    server_name ${serverName};`] : []),
    ...(tls ? [`    ssl_certificate     ${tls.certificate};`, `    ssl_certificate_key ${tls.key};`] : []),
    '    client_max_body_size 25m;',
    '    client_body_buffer_size 1m;',
    '    location / {',
    '        proxy_pass http://gramlens;',
    '        proxy_http_version 1.1;',
    '        proxy_set_header Connection "";',
    '        proxy_set_header Host $http_host;',
    '        # A request no server has received goes to the next one; nginx never resends a POST',
    '        # a server may have acted on (the client retries it).',
    '        proxy_next_upstream error timeout;',
    '        proxy_next_upstream_tries 3;',
    '        proxy_connect_timeout 2s;',
    '        proxy_read_timeout 300s;',
    '    }',
    '}',
    '',
  ].join('\n');
}

/** A whole nginx.conf for a throwaway nginx run in the foreground under `prefix` (pid, logs, temporary files). */
export function standaloneNginxConfig(site: string, prefix: string, accessLogFormat: string): string {
  return [
    'daemon off;',
    'worker_processes 1;',
    `pid ${prefix}/nginx.pid;`,
    `error_log ${prefix}/error.log warn;`,
    'events { worker_connections 4096; }',
    'http {',
    `    log_format bench '${accessLogFormat}';`,
    `    access_log ${prefix}/access.log bench;`,
    `    client_body_temp_path ${prefix}/client-body;`,
    `    proxy_temp_path ${prefix}/proxy;`,
    `    fastcgi_temp_path ${prefix}/fastcgi;`,
    `    uwsgi_temp_path ${prefix}/uwsgi;`,
    `    scgi_temp_path ${prefix}/scgi;`,
    ...site
      .trimEnd()
      .split('\n')
      .map((line) => (line ? `    ${line}` : line)),
    '}',
    '',
  ].join('\n');
}
