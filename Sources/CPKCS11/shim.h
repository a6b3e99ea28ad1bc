// PKCS#11 (the OASIS Cryptoki C API), as BullaCrypto's token keys see it.
//
// Types and constants come from p11-kit's pkcs11.h (Debian's libp11-kit-dev), which needs no
// platform macros. A module (softhsm2, a cloud HSM's client, a YubiHSM connector) is a shared
// library the user names; it is opened here with dlopen and every call goes through the function
// list it returns, so Bulla links no PKCS#11 library of its own.
#ifndef BULLA_CPKCS11_SHIM_H
#define BULLA_CPKCS11_SHIM_H

#include <dlfcn.h>
#include <stddef.h>
#include <sys/stat.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

/// Opens the module at `path` and returns its function list, or NULL with `problem` set to why:
/// dlopen's own message, or that the library exports no C_GetFunctionList (not a PKCS#11
/// module). The library stays open for the life of the process: modules keep state.
static inline CK_FUNCTION_LIST_PTR bulla_pkcs11_load(const char *path, const char **problem) {
    // Only a regular file is handed to dlopen: a FIFO or a device would block or be read whole.
    struct stat info;
    if (stat(path, &info) != 0) {
        *problem = "No such file or it cannot be read";
        return NULL;
    }
    if (!S_ISREG(info.st_mode)) {
        *problem = "it is not a regular file";
        return NULL;
    }
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        *problem = dlerror();
        return NULL;
    }
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(handle, "C_GetFunctionList");
    if (get == NULL) {
        *problem = "it exports no C_GetFunctionList: not a PKCS#11 module";
        dlclose(handle);
        return NULL;
    }
    CK_FUNCTION_LIST_PTR list = NULL;
    if (get(&list) != CKR_OK || list == NULL) {
        *problem = "its C_GetFunctionList failed";
        dlclose(handle);
        return NULL;
    }
    return list;
}

#endif
