/* One SigV4-shaped AWS request over OpenSSL, for the tests of the TLS stacks the guard covers. It
 * verifies the server against the default paths (SSL_CERT_FILE) and prints the reply's status line
 * and <Code>, if any. The first argument picks how the program talks TLS:
 *
 *   ssl: a socket of its own, SSL_set_fd, SSL_write and SSL_read. Linked against libssl.a (static
 *        OpenSSL, dynamic libc), the preload's TLS hooks never see it, and the preload redirects
 *        its connect to the session's proxy (test_inspecting_proxy).
 *   bio: an SSL BIO over a connect BIO (BIO_new_ssl_connect, BIO_write, BIO_read), linked to the
 *        shared libssl: the program never calls SSL_write itself, the SSL BIO does, inside libssl
 *        (test_tls_stacks).
 *
 *   tls_call ssl|bio HOST PORT SERVICE METHOD PATH [BODY]
 *
 * In the ssl mode, TLS_CALL_VIA=PROXYHOST:PROXYPORT makes it reach HOST:PORT through that HTTP
 * proxy (CONNECT, then TLS inside the tunnel), as a client configured with a proxy does.
 */
#include <netdb.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The connection, either way: write and read go to the SSL object or to the BIO chain. */
struct connection {
  SSL* ssl;
  BIO* chain; /* NULL in the ssl mode */
};

/* CONNECT host:port through the proxy on fd; 0 once the proxy answered 200. */
static int open_tunnel(int fd, const char* host, const char* port) {
  char line[600];
  int n = snprintf(line, sizeof line, "CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", host, port, host, port);
  if (write(fd, line, (size_t)n) != n) return 4;
  char answer[4096];
  size_t got = 0;
  while (got < sizeof answer - 1) { /* byte by byte: nothing after the answer's head is taken */
    if (read(fd, answer + got, 1) != 1) return 4;
    answer[++got] = '\0';
    if (got >= 4 && memcmp(answer + got - 4, "\r\n\r\n", 4) == 0) break;
  }
  return strncmp(answer, "HTTP/1.1 200", 12) == 0 || strncmp(answer, "HTTP/1.0 200", 12) == 0 ? 0 : 4;
}

static int open_with_socket(SSL_CTX* ctx, const char* host, const char* port, struct connection* out) {
  const char* via = getenv("TLS_CALL_VIA");
  char via_host[256] = "", *via_port = NULL;
  if (via != NULL) {
    snprintf(via_host, sizeof via_host, "%s", via);
    via_port = strrchr(via_host, ':');
    if (via_port == NULL) return 2;
    *via_port++ = '\0';
  }
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(via ? via_host : host, via ? via_port : port, &hints, &ai) != 0) return 3;
  int fd = socket(ai->ai_family, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    perror("connect");
    return 4;
  }
  freeaddrinfo(ai);
  if (via != NULL && open_tunnel(fd, host, port) != 0) {
    printf("tunnel-refused\n");
    return 4;
  }
  out->ssl = SSL_new(ctx);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(out->ssl), host);
  SSL_set_fd(out->ssl, fd);
  return SSL_connect(out->ssl) == 1 ? 0 : 5;
}

static int open_with_bio(SSL_CTX* ctx, const char* host, const char* port, struct connection* out) {
  out->chain = BIO_new_ssl_connect(ctx);
  BIO_get_ssl(out->chain, &out->ssl);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(out->ssl), host);
  char target[512];
  snprintf(target, sizeof target, "%s:%s", host, port);
  BIO_set_conn_hostname(out->chain, target);
  return BIO_do_connect(out->chain) > 0 && BIO_do_handshake(out->chain) > 0 ? 0 : 5;
}

static int send_all(struct connection* c, const char* data, int n) {
  if (c->chain == NULL) return SSL_write(c->ssl, data, n) == n;
  const int written = BIO_write(c->chain, data, n) == n;
  (void)BIO_flush(c->chain);
  return written;
}

static int receive(struct connection* c, char* into, int room) {
  return c->chain == NULL ? SSL_read(c->ssl, into, room) : BIO_read(c->chain, into, room);
}

int main(int argc, char** argv) {
  if (argc < 7 || (strcmp(argv[1], "ssl") != 0 && strcmp(argv[1], "bio") != 0)) {
    fprintf(stderr, "usage: tls_call ssl|bio HOST PORT SERVICE METHOD PATH [BODY]\n");
    return 2;
  }
  const char *host = argv[2], *port = argv[3], *service = argv[4], *method = argv[5], *path = argv[6];
  const char* body = argc > 7 ? argv[7] : "";
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_default_verify_paths(ctx);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  struct connection c = {NULL, NULL};
  const int opened = strcmp(argv[1], "bio") == 0 ? open_with_bio(ctx, host, port, &c) : open_with_socket(ctx, host, port, &c);
  if (opened == 5) printf("tls-error %s\n", ERR_error_string(ERR_get_error(), NULL));
  if (opened != 0) return opened;

  char request[4096];
  int n = snprintf(request, sizeof request,
                   "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/"
                   "us-east-1/%s/aws4_request, SignedHeaders=host;x-amz-date, Signature=%064d\r\n"
                   "X-Amz-Date: 20260101T000000Z\r\nX-Amz-Content-Sha256: UNSIGNED-PAYLOAD\r\n"
                   "%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                   method, path, host, service, 0,
                   *body != '\0' ? "Content-Type: application/x-www-form-urlencoded\r\n" : "", strlen(body), body);
  if (!send_all(&c, request, n)) return 6;
  char reply[65536];
  size_t got = 0;
  int r;
  while (got < sizeof reply - 1 && (r = receive(&c, reply + got, (int)(sizeof reply - 1 - got))) > 0) got += (size_t)r;
  reply[got] = '\0';
  char* eol = strstr(reply, "\r\n");
  if (eol == NULL) {
    printf("no-reply\n");
    return 7;
  }
  *eol = '\0';
  const char* code = strstr(eol + 1, "<Code>");
  char code_text[64] = "-";
  if (code != NULL) sscanf(code + 6, "%63[A-Za-z]", code_text);
  printf("%s %s\n", reply, code_text);
  return 0;
}
