/* A stand-in TLS library for the preload's TLS hook tests ("libssl_agtest.so": the basename starts
 * with "libssl", like the real one). It exports the OpenSSL and GnuTLS functions the hooks call and
 * behaves like them on a congested non-blocking socket: each write accepts at most
 * FAKE_TLS_MAX bytes, every other write fails with WANT_WRITE / GNUTLS_E_AGAIN, and a retry after
 * such a failure must repeat the same pointer and length (OpenSSL's SSL_R_BAD_WRITE_RETRY rule;
 * GnuTLS also allows NULL/0). Everything written is appended to FAKE_TLS_OUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static const void* retry_ptr;
static size_t retry_len;
static int calls;

static FILE* out_file;

static void record(const void* data, size_t n) {
  if (out_file == NULL) out_file = fopen(getenv("FAKE_TLS_OUT"), "ab");
  fwrite(data, 1, n, out_file);

}

/* > 0 written, 0 would block, -1 bad retry */
static long fake_write(const void* data, size_t n, int null_retry_ok) {
  if (retry_ptr != NULL) {
    int same = (data == retry_ptr && n == retry_len) || (null_retry_ok && data == NULL && n == 0);
    if (!same) {
      fprintf(stderr, "BAD RETRY: %p/%zu after %p/%zu\n", data, n, retry_ptr, retry_len);
      exit(70);
    }
    if (data == NULL) { data = retry_ptr; n = retry_len; }
  }
  if (++calls % 2 == 0) {
    retry_ptr = data;
    retry_len = n;
    return 0;
  }
  retry_ptr = NULL;
  size_t max = (size_t)atol(getenv("FAKE_TLS_MAX") ? getenv("FAKE_TLS_MAX") : "7");
  size_t k = n < max ? n : max;
  record(data, k);
  return (long)k;
}

static int last_error;
static const char kReply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
static size_t reply_off;

/* Internal helpers are static: an exported function calling another exported one would go
 * through the PLT into the hooks a second time, which the real libraries do not do. */
__attribute__((unused)) static int write_one(const void* buf, int num) {
  long r = fake_write(buf, (size_t)num, 0);
  last_error = r == 0 ? 3 /* WANT_WRITE */ : 0;
  return r == 0 ? -1 : (int)r;
}

__attribute__((unused)) static int read_reply(void* buf, int num) {
  size_t left = sizeof kReply - 1 - reply_off;
  size_t k = left < (size_t)num ? left : (size_t)num;
  memcpy(buf, kReply + reply_off, k);
  reply_off += k;
  last_error = k == 0 ? 6 : 0;
  return (int)k;
}

#ifdef FAKE_OPENSSL
int SSL_write(void* ssl, const void* buf, int num) { (void)ssl; return write_one(buf, num); }
int SSL_write_ex(void* ssl, const void* buf, size_t num, size_t* written) {
  (void)ssl;
  int r = write_one(buf, (int)num);
  *written = r > 0 ? (size_t)r : 0;
  return r > 0;
}
int SSL_read(void* ssl, void* buf, int num) { (void)ssl; return read_reply(buf, num); }
int SSL_read_ex(void* ssl, void* buf, size_t num, size_t* readbytes) {
  (void)ssl;
  int r = read_reply(buf, (int)num);
  *readbytes = r > 0 ? (size_t)r : 0;
  return r > 0;
}
int SSL_get_error(const void* ssl, int ret) { (void)ssl; (void)ret; return last_error; }
void SSL_free(void* ssl) { (void)ssl; }
int SSL_get_rfd(const void* ssl) { (void)ssl; return -1; }
#endif

#ifdef FAKE_GNUTLS

ssize_t gnutls_record_send(void* session, const void* data, size_t size) {
  (void)session;
  long r = fake_write(data, size, 1);
  return r == 0 ? -28 /* GNUTLS_E_AGAIN */ : r;
}
ssize_t gnutls_record_recv(void* session, void* data, size_t size) {
  (void)session;
  return read_reply(data, (int)size);
}
void gnutls_deinit(void* session) { (void)session; }
int gnutls_transport_get_int(void* session) { (void)session; return -1; }
#endif
