/*
 * Makes one system call and prints its outcome, for tests that run under a
 * seccomp filter: "ok RESULT" when the call returned, "errno N" when it
 * failed. Usage: syscall-probe NUMBER [ARG...] with up to six integer
 * arguments (decimal or 0x hexadecimal).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long args[6] = {0, 0, 0, 0, 0, 0};
    if (argc < 2 || argc > 8) {
        fprintf(stderr, "usage: %s NUMBER [ARG...]\n", argv[0]);
        return 2;
    }
    long number = strtol(argv[1], NULL, 0);
    for (int i = 2; i < argc; i++) args[i - 2] = (long)strtoull(argv[i], NULL, 0);
    errno = 0;
    long result = syscall(number, args[0], args[1], args[2], args[3], args[4], args[5]);
    if (result == -1) {
        printf("errno %d\n", errno);
    } else {
        printf("ok %ld\n", result);
    }
    return 0;
}
