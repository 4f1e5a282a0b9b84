/*
 * Makes one system call and prints its outcome, for tests that run under a
 * seccomp filter: "ok RESULT" when the call returned, "errno N" when it
 * failed. Usage: syscall-probe NUMBER [ARG...] with up to six integer
 * arguments (decimal or 0x hexadecimal). "syscall-probe int80 NUMBER [ARG...]"
 * makes the call through the i386 entry (int $0x80) instead, with up to three
 * arguments; "syscall-probe thread" starts and joins one POSIX thread.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *thread_main(void *arg) {
    return arg;
}

static int start_thread(void) {
    pthread_t thread;
    int error = pthread_create(&thread, NULL, thread_main, NULL);
    if (error != 0) {
        printf("errno %d\n", error);
        return 0;
    }
    pthread_join(thread, NULL);
    printf("ok thread\n");
    return 0;
}

static int int80(int argc, char **argv) {
    long number = strtol(argv[2], NULL, 0);
    long args[3] = {0, 0, 0};
    for (int i = 3; i < argc && i < 6; i++) args[i - 3] = (long)strtoull(argv[i], NULL, 0);
    long result;
    __asm__ volatile("int $0x80" : "=a"(result) : "a"(number), "b"(args[0]), "c"(args[1]), "d"(args[2]) : "memory");
    if (result < 0 && result > -4096) {
        printf("errno %ld\n", -result);
    } else {
        printf("ok %ld\n", result);
    }
    return 0;
}

int main(int argc, char **argv) {
    long args[6] = {0, 0, 0, 0, 0, 0};
    if (argc == 2 && strcmp(argv[1], "thread") == 0) return start_thread();
    if (argc >= 3 && strcmp(argv[1], "int80") == 0) return int80(argc, argv);
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
