#ifndef ABLATE_HTTP_H
#define ABLATE_HTTP_H

#include <stddef.h>

/// The answer to one HTTP GET: the status of the last response (after redirects), its body, its
/// `X-Error-Code` header (the hub's reason for a refusal), or why no answer came.
typedef struct {
    /// 0 when no answer came: `failure` says why.
    long status;
    /// The body, owned by the answer (`ablate_http_answer_release`); NULL when empty.
    char *body;
    size_t body_length;
    /// The `X-Error-Code` header's value, empty when the response had none.
    char error_code[128];
    /// Why no answer came: the host could not be reached, libcurl could not be loaded.
    char failure[512];
} ablate_http_answer;

/// Sends `GET url` with the given header lines (`Name: value`), following redirects, and fills
/// `answer`. libcurl is loaded on the first call, so that a program that never sends a request
/// never loads it. Returns 0 when a response came, -1 when not (see `answer->failure`).
int ablate_http_get(const char *url, const char *const *headers, size_t header_count, long timeout_seconds,
                    ablate_http_answer *answer);

/// Frees what `ablate_http_get` allocated in `answer`.
void ablate_http_answer_release(ablate_http_answer *answer);

#endif
