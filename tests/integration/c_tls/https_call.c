/* One SigV4-shaped AWS request over OpenSSL, for the inspecting proxy's test. Linked against
 * libssl.a (static OpenSSL, dynamic libc): the preload's TLS hooks never see its SSL_write, so the
 * preload redirects its connect to the session's proxy. It verifies the server against the
 * default paths (SSL_CERT_FILE) and prints the reply's status line and <Code>, if any.
 *
 *   https_call HOST PORT SERVICE METHOD PATH [BODY]
 */
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: https_call HOST PORT SERVICE METHOD PATH [BODY]\n");
    return 2;
  }
  const char *host = argv[1], *port = argv[2], *service = argv[3], *method = argv[4], *path = argv[5];
  const char* body = argc > 6 ? argv[6] : "";
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &ai) != 0) return 3;
  int fd = socket(ai->ai_family, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    perror("connect");
    return 4;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_default_verify_paths(ctx);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  SSL* ssl = SSL_new(ctx);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) {
    printf("tls-error %s\n", ERR_error_string(ERR_get_error(), NULL));
    return 5;
  }
  char request[4096];
  int n = snprintf(request, sizeof request,
                   "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/"
                   "us-east-1/%s/aws4_request, SignedHeaders=host;x-amz-date, Signature=%064d\r\n"
                   "X-Amz-Date: 20260101T000000Z\r\nX-Amz-Content-Sha256: UNSIGNED-PAYLOAD\r\n"
                   "%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                   method, path, host, service, 0,
                   *body != '\0' ? "Content-Type: application/x-www-form-urlencoded\r\n" : "", strlen(body), body);
  if (SSL_write(ssl, request, n) != n) return 6;
  char reply[65536];
  size_t got = 0;
  int r;
  while (got < sizeof reply - 1 && (r = SSL_read(ssl, reply + got, (int)(sizeof reply - 1 - got))) > 0) got += (size_t)r;
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
