/* One SigV4-shaped AWS request through an OpenSSL SSL BIO (BIO_f_ssl, BIO_write, BIO_read), linked
 * to the shared libssl, for the HTTPS guard's test: the program never calls SSL_write itself; the
 * SSL BIO does, inside libssl. It connects through a connect BIO (BIO_s_connect) chained below
 * the SSL BIO, verifies the server against the default paths (SSL_CERT_FILE) and prints the
 * reply's status line and <Code>, if any.
 *
 *   bio_call HOST PORT SERVICE METHOD PATH [BODY]
 */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: bio_call HOST PORT SERVICE METHOD PATH [BODY]\n");
    return 2;
  }
  const char *host = argv[1], *port = argv[2], *service = argv[3], *method = argv[4], *path = argv[5];
  const char* body = argc > 6 ? argv[6] : "";
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_default_verify_paths(ctx);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);

  /* An SSL BIO on top of a connect BIO: the usual "BIO_new_ssl_connect" chain. */
  BIO* chain = BIO_new_ssl_connect(ctx);
  SSL* ssl = NULL;
  BIO_get_ssl(chain, &ssl);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
  char target[512];
  snprintf(target, sizeof target, "%s:%s", host, port);
  BIO_set_conn_hostname(chain, target);
  if (BIO_do_connect(chain) <= 0 || BIO_do_handshake(chain) <= 0) {
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
  if (BIO_write(chain, request, n) != n) return 6;
  (void)BIO_flush(chain);
  char reply[65536];
  size_t got = 0;
  int r;
  while (got < sizeof reply - 1 && (r = BIO_read(chain, reply + got, (int)(sizeof reply - 1 - got))) > 0) got += (size_t)r;
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
  BIO_free_all(chain);
  SSL_CTX_free(ctx);
  return 0;
}
