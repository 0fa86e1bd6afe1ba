/* The benchmark's load client: speaks the uuidd protocol directly, one connection per request as libuuid does.
 * usage: uuidd-load SOCKET OP COUNT SECONDS
 * Prints "<requests> <uuids> <failures>" on stdout. OP 2 (time), 3 (random), 4/5 (bulk, COUNT per request). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_exactly(int fd, void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t got = read(fd, (char *)buf + done, len - done);
    if (got <= 0) return -1;
    done += (size_t)got;
  }
  return 0;
}

/* One request on a fresh connection; returns the UUIDs received, or -1. */
static int call(const struct sockaddr_un *addr, unsigned char op, int32_t count) {
  unsigned char request[5], reply[4 + 16 * 64];
  int32_t length;
  int fd = socket(AF_UNIX, SOCK_STREAM, 0), result = -1;
  if (fd < 0) return -1;
  if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) goto out;
  request[0] = op;
  memcpy(request + 1, &count, 4);
  if (write(fd, request, (op == 4 || op == 5) ? 5 : 1) < 0) goto out;
  if (read_exactly(fd, &length, 4) < 0 || length < 0 || (size_t)length > sizeof(reply)) goto out;
  if (read_exactly(fd, reply, (size_t)length) < 0) goto out;
  if (op == 2 || op == 3) result = length == 16 ? 1 : -1;
  else if (op == 4) result = length == 20 ? count : -1;
  else {
    int32_t got;
    memcpy(&got, reply, 4);
    result = length == 4 + 16 * got ? got : -1;
  }
out:
  close(fd);
  return result;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s SOCKET OP COUNT SECONDS\n", argv[0]);
    return 2;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, argv[1], sizeof(addr.sun_path) - 1);
  unsigned char op = (unsigned char)atoi(argv[2]);
  int32_t count = atoi(argv[3]);
  double seconds = atof(argv[4]), end = now() + seconds;
  long requests = 0, uuids = 0, failures = 0;
  while (1) {
    for (int i = 0; i < 32; i++) {
      int got = call(&addr, op, count);
      if (got < 0) failures++;
      else {
        requests++;
        uuids += got;
      }
    }
    if (now() >= end) break;
  }
  printf("%ld %ld %ld\n", requests, uuids, failures);
  return 0;
}
