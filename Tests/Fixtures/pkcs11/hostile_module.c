/* A PKCS #11 module that lies, for PKCS11Tests: one token "hostile" with one P-256 key "k"
   (id 01) whose public key is the curve's generator, and answers chosen by the HOSTILE
   environment variable:
     slots-grow   the second C_GetSlotList claims more slots than the room it was given
     attr-grow    C_GetAttributeValue claims to have written more than the buffer holds
     find-huge    C_FindObjects claims ULONG_MAX objects
     sign-huge    C_Sign claims a ULONG_MAX-byte signature
   and otherwise C_Sign returns 64 bytes that are no signature by the key.
   Bulla must refuse each with a reason, never crash or publish what it did not sign.
   Built by the test: cc -shared -fPIC hostile_module.c -o hostile.so */
#include <stdlib.h>
#include <string.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

static int mode(const char *name) {
    const char *chosen = getenv("HOSTILE");
    return chosen != NULL && strcmp(chosen, name) == 0;
}

static CK_RV initialize(void *arguments) { (void)arguments; return CKR_OK; }
static CK_RV finalize(void *reserved) { (void)reserved; return CKR_OK; }

static CK_RV slot_list(CK_BBOOL present, CK_SLOT_ID_PTR slots, CK_ULONG_PTR count) {
    (void)present;
    if (slots != NULL) slots[0] = 1;
    *count = (slots != NULL && mode("slots-grow")) ? 100000 : 1;
    return CKR_OK;
}

static CK_RV token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
    (void)slot;
    memset(info, ' ', sizeof *info);
    memcpy(info->label, "hostile", 7);
    info->flags = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED;
    return CKR_OK;
}

static CK_RV open_session(CK_SLOT_ID slot, CK_FLAGS flags, void *application, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR session) {
    (void)slot; (void)flags; (void)application; (void)notify;
    *session = 7;
    return CKR_OK;
}

static CK_RV close_session(CK_SESSION_HANDLE session) { (void)session; return CKR_OK; }

static CK_RV login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG length) {
    (void)session; (void)user; (void)pin; (void)length;
    return CKR_OK;
}

static CK_ULONG searched_class;

static CK_RV find_init(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR template, CK_ULONG count) {
    (void)session;
    searched_class = CKO_DATA;
    for (CK_ULONG i = 0; i < count; i++)
        if (template[i].type == CKA_CLASS) searched_class = *(CK_ULONG *)template[i].pValue;
    return CKR_OK;
}

static CK_RV find(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE_PTR objects, CK_ULONG room, CK_ULONG_PTR count) {
    (void)session; (void)room;
    objects[0] = searched_class == CKO_PRIVATE_KEY ? 1 : 2;
    *count = mode("find-huge") ? (CK_ULONG)-1 : 1;
    return CKR_OK;
}

static CK_RV find_final(CK_SESSION_HANDLE session) { (void)session; return CKR_OK; }

static const unsigned char curve[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
/* The P-256 generator G, uncompressed, as a DER OCTET STRING. */
static const unsigned char point[] = {
    0x04, 0x41, 0x04, 0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4, 0x40, 0xF2, 0x77, 0x03,
    0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2, 0x96, 0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A, 0x7F,
    0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E, 0x16, 0x2B, 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68,
    0x37, 0xBF, 0x51, 0xF5};
static const unsigned char id[] = {0x01};
static const unsigned char label[] = {'k'};

static CK_RV attribute(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR template, CK_ULONG count) {
    (void)session; (void)object; (void)count;
    const unsigned char *value;
    CK_ULONG length;
    switch (template[0].type) {
    case CKA_EC_PARAMS: value = curve; length = sizeof curve; break;
    case CKA_EC_POINT: value = point; length = sizeof point; break;
    case CKA_ID: value = id; length = sizeof id; break;
    case CKA_LABEL: value = label; length = sizeof label; break;
    default: return CKR_ATTRIBUTE_TYPE_INVALID;
    }
    if (template[0].pValue == NULL) {
        template[0].ulValueLen = length;
        return CKR_OK;
    }
    memcpy(template[0].pValue, value, length);
    template[0].ulValueLen = mode("attr-grow") ? 1u << 20 : length;
    return CKR_OK;
}

static CK_RV sign_init(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key) {
    (void)session; (void)mechanism; (void)key;
    return CKR_OK;
}

static CK_RV sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG length, CK_BYTE_PTR signature, CK_ULONG_PTR signature_length) {
    (void)session; (void)data; (void)length;
    if (mode("sign-huge")) {
        *signature_length = (CK_ULONG)-1;
        return CKR_OK;
    }
    memset(signature, 1, 64);
    *signature_length = 64;
    return CKR_OK;
}

static CK_FUNCTION_LIST functions;

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
    memset(&functions, 0, sizeof functions);
    functions.version.major = 2;
    functions.version.minor = 40;
    functions.C_Initialize = initialize;
    functions.C_Finalize = finalize;
    functions.C_GetSlotList = slot_list;
    functions.C_GetTokenInfo = token_info;
    functions.C_OpenSession = open_session;
    functions.C_CloseSession = close_session;
    functions.C_Login = login;
    functions.C_FindObjectsInit = find_init;
    functions.C_FindObjects = find;
    functions.C_FindObjectsFinal = find_final;
    functions.C_GetAttributeValue = attribute;
    functions.C_SignInit = sign_init;
    functions.C_Sign = sign;
    *list = &functions;
    return CKR_OK;
}
