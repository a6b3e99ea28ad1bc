// libarchive, as Bulla's archive reader sees it.
//
// libarchive is opened on first use (dlopen), not linked: on Debian it brings nine more shared
// libraries (nettle, acl, lzma, zstd, lz4, bz2, xml2, icuuc, icudata), and mapping and relocating
// them cost every bulla process ~1.5 ms at start-up, though only archive inputs use them.
// Types and constants still come from libarchive's headers; each function used is called
// through a pointer looked up once. Call bulla_archive_unavailable() before the others: they
// assume it returned NULL (the library opened and has every function in the list).
#ifndef BULLA_CARCHIVE_SHIM_H
#define BULLA_CARCHIVE_SHIM_H

#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <stddef.h>

/// libarchive's function `name`, or NULL when libarchive.so.13 cannot be opened.
static inline void *bulla_archive_function(const char *name) {
    static void *library;
    void *handle = __atomic_load_n(&library, __ATOMIC_ACQUIRE);
    if (handle == NULL) {
        // Threads that race here each get the same handle (dlopen counts references).
        handle = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
        if (handle == NULL) return NULL;
        __atomic_store_n(&library, handle, __ATOMIC_RELEASE);
    }
    return dlsym(handle, name);
}

// Every libarchive function Bulla calls, once: X(result, name, parameters, arguments). The list
// makes both the forwarders below and the check that each one exists.
#define BULLA_ARCHIVE_FUNCTIONS(X)                                                             \
    X(struct archive *, archive_read_new, (void), ())                                         \
    X(int, archive_read_free, (struct archive *a), (a))                                       \
    X(int, archive_read_support_filter_gzip, (struct archive *a), (a))                        \
    X(int, archive_read_support_filter_zstd, (struct archive *a), (a))                        \
    X(int, archive_read_support_filter_bzip2, (struct archive *a), (a))                       \
    X(int, archive_read_support_filter_xz, (struct archive *a), (a))                          \
    X(int, archive_read_support_format_tar, (struct archive *a), (a))                         \
    X(int, archive_read_support_format_raw, (struct archive *a), (a))                         \
    X(int, archive_read_open_filename,                                                        \
      (struct archive *a, const char *filename, size_t block_size), (a, filename, block_size)) \
    X(int, archive_read_open,                                                                 \
      (struct archive *a, void *client_data, archive_open_callback *opener,                   \
       archive_read_callback *reader, archive_close_callback *closer),                        \
      (a, client_data, opener, reader, closer))                                               \
    X(int, archive_read_next_header, (struct archive *a, struct archive_entry **entry), (a, entry)) \
    X(int, archive_read_data_block,                                                           \
      (struct archive *a, const void **buffer, size_t *size, la_int64_t *offset),             \
      (a, buffer, size, offset))                                                              \
    X(int, archive_read_data_skip, (struct archive *a), (a))                                  \
    X(la_int64_t, archive_filter_bytes, (struct archive *a, int n), (a, n))                   \
    X(const char *, archive_filter_name, (struct archive *a, int n), (a, n))                  \
    X(const char *, archive_error_string, (struct archive *a), (a))                           \
    X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry *e), (e))                    \
    X(const char *, archive_entry_hardlink, (struct archive_entry *e), (e))                   \
    X(const char *, archive_entry_symlink, (struct archive_entry *e), (e))                    \
    X(const char *, archive_entry_pathname, (struct archive_entry *e), (e))                   \
    X(int, archive_entry_size_is_set, (struct archive_entry *e), (e))                         \
    X(la_int64_t, archive_entry_size, (struct archive_entry *e), (e))                         \
    X(int, archive_entry_sparse_count, (struct archive_entry *e), (e))

/// NULL when libarchive.so.13 opens and has every function in the list; otherwise why not: the
/// loader's message (a missing library, or one of its dependencies), or the missing function.
/// A check that passed is remembered: archives and their layers ask once each.
static inline const char *bulla_archive_unavailable(void) {
    static int checked;
    if (__atomic_load_n(&checked, __ATOMIC_ACQUIRE)) return NULL;
#define BULLA_ARCHIVE_NAME(result, name, parameters, arguments) #name,
    static const char *const names[] = {BULLA_ARCHIVE_FUNCTIONS(BULLA_ARCHIVE_NAME) NULL};
#undef BULLA_ARCHIVE_NAME
    if (bulla_archive_function(names[0]) == NULL) {
        const char *reason = dlerror();
        return reason != NULL ? reason : "libarchive.so.13 could not be opened";
    }
    for (const char *const *name = names + 1; *name != NULL; name++) {
        if (bulla_archive_function(*name) == NULL) return *name;
    }
    __atomic_store_n(&checked, 1, __ATOMIC_RELEASE);
    return NULL;
}

// bulla_NAME(...) calls libarchive's NAME(...), with NAME's own prototype.
#define BULLA_ARCHIVE_FORWARD(result, name, parameters, arguments)                          \
    static inline result bulla_##name parameters {                                          \
        static __typeof__(&name) function;                                                  \
        __typeof__(&name) found = __atomic_load_n(&function, __ATOMIC_ACQUIRE);              \
        if (found == NULL) {                                                                 \
            found = (__typeof__(&name))bulla_archive_function(#name);                        \
            __atomic_store_n(&function, found, __ATOMIC_RELEASE);                            \
        }                                                                                    \
        return found arguments;                                                              \
    }
BULLA_ARCHIVE_FUNCTIONS(BULLA_ARCHIVE_FORWARD)
#undef BULLA_ARCHIVE_FORWARD

#endif
