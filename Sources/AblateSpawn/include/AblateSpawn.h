#ifndef ABLATE_SPAWN_H
#define ABLATE_SPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` as the leader of a new session (and so of its own
/// process group), with every signal at its default and none blocked, standard input
/// `/dev/null`, standard output and error the descriptors `output` and `error`, in the directory
/// open as `directory`. The three descriptors should close on exec: the task gets copies.
/// Returns 0 and sets `pid`, or the errno of the step that failed.
int ablate_spawn_session(pid_t *pid, const char *path, char *const argv[], char *const envp[], int directory, int output,
                         int error);

#endif
