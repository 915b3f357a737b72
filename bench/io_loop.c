/* The plain-HTTP hooks' cost on I/O-heavy work (bench/run_bench.py `socket_io`):
 *   io_loop pipe N            N x (write 64 bytes to a pipe, read them back): the fast path of
 *                             write() and read() on descriptors that are not marked
 *   io_loop tcp N SIZE        a loopback TCP transfer of N send()s of SIZE bytes (binary: the
 *                             connection is marked at connect and leaves at its first write)
 *   io_loop http N SIZE       the same bytes as the body of one S3 PutObject over plain HTTP:
 *                             marked, inspected, allowed, and the body streamed through the engine
 * A forked child accepts and reads everything with recv(). Exits non-zero on any short transfer. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int pipe_loop(long n) {
  int p[2];
  char buf[64] = {0};
  if (pipe(p) != 0) return 1;
  for (long i = 0; i < n; ++i) {
    if (write(p[1], buf, sizeof buf) != (ssize_t)sizeof buf) return 1;
    if (read(p[0], buf, sizeof buf) != (ssize_t)sizeof buf) return 1;
  }
  return 0;
}

static int send_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t r = send(fd, data, n, 0);
    if (r <= 0) return 1;
    data += r;
    n -= (size_t)r;
  }
  return 0;
}

static int transfer(long n, long size, int http) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  if (bind(listener, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(listener, 1) != 0 ||
      getsockname(listener, (struct sockaddr*)&addr, &len) != 0)
    return 1;
  char head[512];
  int head_len = 0;
  if (http)
    head_len = snprintf(head, sizeof head,
                        "PUT /bench/object HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: AWS4-HMAC-SHA256 "
                        "Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, "
                        "Signature=0000\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\nContent-Length: %ld\r\n\r\n",
                        n * size);
  long expected = head_len + n * size;
  pid_t child = fork();
  if (child == 0) {
    int fd = accept(listener, NULL, NULL);
    char* buf = malloc(1 << 16);
    long got = 0;
    for (ssize_t r; (r = recv(fd, buf, 1 << 16, 0)) > 0;) got += r;
    _exit(got == expected ? 0 : 2);
  }
  close(listener);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) return 1;
  char* data = malloc((size_t)size);
  memset(data, 'x', (size_t)size);
  data[0] = 0; /* binary from the first byte */
  if (http && send_all(fd, head, (size_t)head_len) != 0) return 1;
  for (long i = 0; i < n; ++i)
    if (send_all(fd, data, (size_t)size) != 0) return 1;
  shutdown(fd, SHUT_WR);
  int status = 0;
  waitpid(child, &status, 0);
  close(fd);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "pipe") == 0) return pipe_loop(atol(argv[2]));
  if (argc >= 4 && strcmp(argv[1], "tcp") == 0) return transfer(atol(argv[2]), atol(argv[3]), 0);
  if (argc >= 4 && strcmp(argv[1], "http") == 0) return transfer(atol(argv[2]), atol(argv[3]), 1);
  fprintf(stderr, "usage: io_loop pipe N | tcp N SIZE | http N SIZE\n");
  return 2;
}
