// posix_spawn with the GNU extensions a task's start needs (a new session, a working directory),
// which Swift's Glibc module does not import.
#define _GNU_SOURCE
#include "AblateSpawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

int ablate_spawn_session(pid_t *pid, const char *path, char *const argv[], char *const envp[], int directory, int output,
                         int error) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int result = posix_spawn_file_actions_init(&actions);
    if (result != 0) return result;
    result = posix_spawnattr_init(&attributes);
    if (result != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return result;
    }
    sigset_t defaults, mask;
    sigfillset(&defaults);
    sigdelset(&defaults, SIGKILL);
    sigdelset(&defaults, SIGSTOP);
    sigemptyset(&mask);
    if ((result = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)) == 0 &&
        (result = posix_spawn_file_actions_adddup2(&actions, output, 1)) == 0 &&
        (result = posix_spawn_file_actions_adddup2(&actions, error, 2)) == 0 &&
        (result = posix_spawn_file_actions_addfchdir_np(&actions, directory)) == 0 &&
        (result = posix_spawnattr_setsigdefault(&attributes, &defaults)) == 0 &&
        (result = posix_spawnattr_setsigmask(&attributes, &mask)) == 0 &&
        (result = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID)) == 0) {
        result = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    }
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return result;
}
