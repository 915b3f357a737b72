/* Drives the TLS hooks the way a non-blocking client does, through libtlsclient_agtest.so loaded
 * RTLD_LOCAL. Usage: driver_tls MODE PIECES < requests
 *   MODE: ssl | ssl_ex | gnutls | gnutls_null (retry after EAGAIN with NULL/0)
 *   PIECES: comma-separated write sizes, cycled (e.g. "600,1,91").
 * Writes stdin in those pieces, retrying after WANT_WRITE/EAGAIN as the libraries require and
 * advancing by what each call reports, then prints what reads return and the final error code. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

typedef int (*ssl_write_fn)(void*, const void*, int);
typedef int (*ssl_write_ex_fn)(void*, const void*, size_t, size_t*);
typedef int (*ssl_read_fn)(void*, void*, int);
typedef int (*ssl_get_error_fn)(const void*, int);
typedef void (*free_fn)(void*);
typedef ssize_t (*gnutls_send_fn)(void*, const void*, size_t);
typedef ssize_t (*gnutls_recv_fn)(void*, void*, size_t);

static void* sym(void* h, const char* name) {
  void* p = dlsym(h, name);
  if (!p) { fprintf(stderr, "missing %s\n", name); exit(2); }
  return p;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const char* mode = argv[1];
  void* h = dlopen("libtlsclient_agtest.so", RTLD_NOW | RTLD_LOCAL);
  if (!h) { fprintf(stderr, "%s\n", dlerror()); return 2; }
  ssl_write_fn ssl_write = (ssl_write_fn)sym(h, "client_ssl_write");
  ssl_write_ex_fn ssl_write_ex = (ssl_write_ex_fn)sym(h, "client_ssl_write_ex");
  ssl_read_fn ssl_read = (ssl_read_fn)sym(h, "client_ssl_read");
  ssl_get_error_fn ssl_get_error = (ssl_get_error_fn)sym(h, "client_ssl_get_error");
  free_fn ssl_free = (free_fn)sym(h, "client_ssl_free");
  gnutls_send_fn gn_send = (gnutls_send_fn)sym(h, "client_gnutls_send");
  gnutls_recv_fn gn_recv = (gnutls_recv_fn)sym(h, "client_gnutls_recv");
  free_fn gn_deinit = (free_fn)sym(h, "client_gnutls_deinit");

  size_t cap = 1 << 20, len = 0;
  char* in = malloc(cap);
  size_t n;
  while ((n = fread(in + len, 1, cap - len, stdin)) > 0) {
    len += n;
    if (len == cap) in = realloc(in, cap *= 2);
  }
  size_t pieces[64], piece_count = 0;
  for (char* t = strtok(argv[2], ","); t && piece_count < 64; t = strtok(NULL, ",")) pieces[piece_count++] = (size_t)atol(t);

  int connection = 0;
  void* session = &connection;
  int gnutls = strncmp(mode, "gnutls", 6) == 0;
  size_t off = 0, k = 0;
  long attempts = 0;
  while (off < len) {
    size_t want = pieces[k++ % piece_count];
    if (want > len - off) want = len - off;
    size_t done = 0;
    int null_retry = 0;
    while (done < want) {
      if (++attempts > 2000000) { fprintf(stderr, "no progress\n"); return 3; }
      const char* p = in + off + done;
      size_t m = want - done;
      long r;
      if (gnutls) {
        r = null_retry ? gn_send(session, NULL, 0) : gn_send(session, p, m);
        if (r == -28) { null_retry = strcmp(mode, "gnutls_null") == 0; continue; }
        null_retry = 0;
        if (r < 0) { fprintf(stderr, "send failed %ld\n", r); return 4; }
      } else if (strcmp(mode, "ssl_ex") == 0) {
        size_t w = 0;
        r = ssl_write_ex(session, p, m, &w) == 1 ? (long)w : -1;
        if (r < 0) {
          if (ssl_get_error(session, -1) == 3) continue;
          fprintf(stderr, "write_ex failed\n"); return 4;
        }
      } else {
        r = ssl_write(session, p, (int)m);
        if (r <= 0) {
          if (ssl_get_error(session, (int)r) == 3) continue;
          fprintf(stderr, "write failed\n"); return 4;
        }
      }
      done += (size_t)r;
    }
    off += want;
  }
  char buf[8192];
  long total = 0, r;
  do {
    r = gnutls ? (long)gn_recv(session, buf, sizeof buf) : (long)ssl_read(session, buf, (int)sizeof buf);
    if (r > 0) { fwrite(buf, 1, (size_t)r, stdout); total += r; }
  } while (r > 0);
  printf("\nEND read=%ld", total);
  if (!gnutls) printf(" get_error=%d", ssl_get_error(session, (int)r));
  printf("\n");
  if (gnutls) gn_deinit(session); else ssl_free(session);
  return 0;
}
