// SPDX-License-Identifier: GPL-2.0
/*
 * A counter shared by four processes, guarded by a process-shared mutex
 * that lives, with the counter, in a MAP_SHARED mapping of /dev/vmapdemo.
 *
 *   cc -Wall -o shared_counter shared_counter.c && ./shared_counter
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS	4
#define ROUNDS	10000

struct shared {
	pthread_mutex_t lock;
	long counter;
};

int main(void)
{
	pthread_mutexattr_t attr;
	struct shared *s;
	int fd, i, j;

	fd = open("/dev/vmapdemo", O_RDWR);
	if (fd < 0) {
		perror("open /dev/vmapdemo");
		return 1;
	}
	/* Like /dev/zero: a shared mapping starts zeroed and is inherited. */
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	close(fd);		/* the mapping keeps the memory */

	/* The mutex must say it is shared between processes. */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->lock, &attr);

	for (i = 0; i < WORKERS; i++) {
		if (fork() == 0) {
			for (j = 0; j < ROUNDS; j++) {
				pthread_mutex_lock(&s->lock);
				s->counter++;
				pthread_mutex_unlock(&s->lock);
			}
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	printf("%d workers x %d increments: counter = %ld\n", WORKERS, ROUNDS, s->counter);
	return s->counter == WORKERS * ROUNDS ? 0 : 1;
}
