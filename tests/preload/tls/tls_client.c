/* "libtlsclient_agtest.so": links the fake TLS library and calls it through its PLT, the way
 * python's _ssl calls libssl. The driver dlopens this library RTLD_LOCAL, so neither it nor the
 * fake libssl is in the global scope and dlsym(RTLD_NEXT) cannot find the real functions. */
#include <stddef.h>
#include <sys/types.h>

int SSL_write(void* ssl, const void* buf, int num);
int SSL_write_ex(void* ssl, const void* buf, size_t num, size_t* written);
int SSL_read(void* ssl, void* buf, int num);
int SSL_get_error(const void* ssl, int ret);
void SSL_free(void* ssl);
ssize_t gnutls_record_send(void* session, const void* data, size_t size);
ssize_t gnutls_record_recv(void* session, void* data, size_t size);
void gnutls_deinit(void* session);

int client_ssl_write(void* ssl, const void* buf, int num) { return SSL_write(ssl, buf, num); }
int client_ssl_write_ex(void* ssl, const void* buf, size_t num, size_t* w) { return SSL_write_ex(ssl, buf, num, w); }
int client_ssl_read(void* ssl, void* buf, int num) { return SSL_read(ssl, buf, num); }
int client_ssl_get_error(const void* ssl, int ret) { return SSL_get_error(ssl, ret); }
void client_ssl_free(void* ssl) { SSL_free(ssl); }
ssize_t client_gnutls_send(void* s, const void* d, size_t n) { return gnutls_record_send(s, d, n); }
ssize_t client_gnutls_recv(void* s, void* d, size_t n) { return gnutls_record_recv(s, d, n); }
void client_gnutls_deinit(void* s) { gnutls_deinit(s); }
