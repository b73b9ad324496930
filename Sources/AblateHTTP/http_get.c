// One HTTP GET through libcurl, loaded with dlopen on the first request. Linking libcurl (as
// Foundation's URLSession does) makes every start of the program load and relocate it and the
// thirty libraries it needs, for the one command in a hundred that talks to a hub.
#include "AblateHTTP.h"

#include <ctype.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

// libcurl's stable ABI (its soname has been 4 since 2006): option numbers as curl.h defines them.
enum {
    option_write_data = 10001,
    option_url = 10002,
    option_error_buffer = 10010,
    option_timeout = 13,
    option_user_agent = 10018,
    option_http_header = 10023,
    option_header_data = 10029,
    option_follow_location = 52,
    option_max_redirects = 68,
    option_connect_timeout = 78,
    option_header_function = 20079,
    option_write_function = 20011,
    option_no_signal = 99,
    info_response_code = 0x200002,
    global_all = 3,
    error_size = 256,
};

struct curl_slist;
typedef size_t (*write_callback)(char *, size_t, size_t, void *);

static struct {
    int (*global_init)(long);
    void *(*easy_init)(void);
    int (*easy_setopt)(void *, int, ...);
    int (*easy_perform)(void *);
    int (*easy_getinfo)(void *, int, ...);
    void (*easy_cleanup)(void *);
    const char *(*easy_strerror)(int);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} curl;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char curl_load_failure[256];

static void load_curl(void) {
#ifdef __APPLE__
    const char *names[] = {"libcurl.4.dylib", "libcurl.dylib"};
#else
    const char *names[] = {"libcurl.so.4", "libcurl.so"};
#endif
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(curl_load_failure, sizeof curl_load_failure, "libcurl could not be loaded (%s): install it (Debian: apt-get install libcurl4)",
                 dlerror());
        return;
    }
#define LOAD(field, symbol)                                                                                                                      \
    if ((*(void **)&curl.field = dlsym(library, symbol)) == NULL) {                                                                              \
        snprintf(curl_load_failure, sizeof curl_load_failure, "libcurl has no %s: it is too old", symbol);                                       \
        return;                                                                                                                                  \
    }
    LOAD(global_init, "curl_global_init")
    LOAD(easy_init, "curl_easy_init")
    LOAD(easy_setopt, "curl_easy_setopt")
    LOAD(easy_perform, "curl_easy_perform")
    LOAD(easy_getinfo, "curl_easy_getinfo")
    LOAD(easy_cleanup, "curl_easy_cleanup")
    LOAD(easy_strerror, "curl_easy_strerror")
    LOAD(slist_append, "curl_slist_append")
    LOAD(slist_free_all, "curl_slist_free_all")
#undef LOAD
    if (curl.global_init(global_all) != 0) snprintf(curl_load_failure, sizeof curl_load_failure, "libcurl could not be initialised");
}

static size_t collect_body(char *data, size_t size, size_t count, void *context) {
    ablate_http_answer *answer = context;
    size_t length = size * count;
    char *grown = realloc(answer->body, answer->body_length + length + 1);
    if (grown == NULL) return 0; // libcurl stops the transfer: a write error
    memcpy(grown + answer->body_length, data, length);
    answer->body = grown;
    answer->body_length += length;
    answer->body[answer->body_length] = 0;
    return length;
}

// Keeps the last response's `X-Error-Code`: a status line starts each response of a redirect chain.
static size_t collect_header(char *data, size_t size, size_t count, void *context) {
    ablate_http_answer *answer = context;
    size_t length = size * count;
    static const char name[] = "x-error-code:";
    if (length >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        answer->error_code[0] = 0;
    } else if (length > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
        size_t start = sizeof name - 1, end = length;
        while (start < end && isspace((unsigned char)data[start])) start++;
        while (end > start && isspace((unsigned char)data[end - 1])) end--;
        size_t kept = end - start < sizeof answer->error_code - 1 ? end - start : sizeof answer->error_code - 1;
        memcpy(answer->error_code, data + start, kept);
        answer->error_code[kept] = 0;
    }
    return length;
}

int ablate_http_get(const char *url, const char *const *headers, size_t header_count, long timeout_seconds,
                    ablate_http_answer *answer) {
    memset(answer, 0, sizeof *answer);
    pthread_once(&curl_once, load_curl);
    if (curl_load_failure[0] != 0) {
        snprintf(answer->failure, sizeof answer->failure, "%s", curl_load_failure);
        return -1;
    }
    void *handle = curl.easy_init();
    if (handle == NULL) {
        snprintf(answer->failure, sizeof answer->failure, "libcurl could not start a request");
        return -1;
    }
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < header_count; i++) list = curl.slist_append(list, headers[i]);
    char error[error_size] = {0};
    curl.easy_setopt(handle, option_url, url);
    curl.easy_setopt(handle, option_http_header, list);
    curl.easy_setopt(handle, option_user_agent, "ablate");
    curl.easy_setopt(handle, option_follow_location, 1L);
    curl.easy_setopt(handle, option_max_redirects, 10L);
    curl.easy_setopt(handle, option_timeout, timeout_seconds);
    curl.easy_setopt(handle, option_connect_timeout, timeout_seconds);
    curl.easy_setopt(handle, option_no_signal, 1L);
    curl.easy_setopt(handle, option_error_buffer, error);
    curl.easy_setopt(handle, option_write_function, (write_callback)collect_body);
    curl.easy_setopt(handle, option_write_data, answer);
    curl.easy_setopt(handle, option_header_function, (write_callback)collect_header);
    curl.easy_setopt(handle, option_header_data, answer);
    int code = curl.easy_perform(handle);
    if (code == 0) {
        curl.easy_getinfo(handle, info_response_code, &answer->status);
    } else {
        snprintf(answer->failure, sizeof answer->failure, "%s", error[0] != 0 ? error : curl.easy_strerror(code));
    }
    curl.easy_cleanup(handle);
    curl.slist_free_all(list);
    return code == 0 ? 0 : -1;
}

void ablate_http_answer_release(ablate_http_answer *answer) {
    free(answer->body);
    answer->body = NULL;
    answer->body_length = 0;
}
