import CPKCS11
import Synchronization

/// One token of a module, as a PKCS #11 URI names it, with one logged-in session kept open and
/// reused. Operations are serialised on the session (a PKCS #11 session runs one operation at a
/// time); when the session or login is lost (the token was reset, removed and returned), the
/// token is found again, a new session opened and logged in, and the operation retried once.
final class PKCS11Token: @unchecked Sendable {
    let module: PKCS11Module
    let uri: PKCS11URI
    /// The PIN, kept (zeroed on release) to log in again after a reset.
    private let pin: Passphrase?
    private let state = Mutex<CK_SESSION_HANDLE?>(nil)
    /// Set once the token refused the PIN: it is never tried again in this process, so a
    /// long-running server reopening lost sessions cannot lock the token with it.
    private let pinRefused = Atomic<Bool>(false)

    /// The token `uri` names in `module`; nothing is opened until first use.
    init(module: PKCS11Module, uri: PKCS11URI, pin: Passphrase?) {
        self.module = module
        self.uri = uri
        self.pin = pin
    }

    /// The token's name for messages: its label, or the URI.
    var name: String { uri.token.map { "token \"\($0)\"" } ?? "the token of \(uri)" }

    /// Runs `body` on the logged-in session; reopens and retries once when the session was lost.
    func withSession<T>(readWrite: Bool = false, _ body: (CK_SESSION_HANDLE) throws -> T) throws -> T {
        try state.withLock { session in
            for attempt in 0..<2 {
                if session == nil { session = try open(readWrite: readWrite) }
                do {
                    return try body(session!)
                } catch let lost as LostSession {
                    if let handle = session { _ = module.f.C_CloseSession?(handle) }
                    session = nil
                    if attempt == 1 { throw lost.error }
                }
            }
            throw BullaError(.internalFailure, "\(name): the session could not be reopened")
        }
    }

    /// Thrown by a call whose return value means the session was lost (``PKCS11Module/isLostSession(_:)``).
    struct LostSession: Error {
        let error: BullaError
    }

    /// Throws `LostSession` for a lost session (the caller reopens), else the error for `rv`.
    func check(_ rv: CK_RV, _ what: @autoclosure () -> String) throws {
        guard rv != CKR_OK else { return }
        let error = PKCS11Module.error(rv, "\(name): \(what())")
        if PKCS11Module.isLostSession(rv) { throw LostSession(error: error) }
        throw error
    }

    // MARK: Opening

    private func open(readWrite: Bool) throws -> CK_SESSION_HANDLE {
        let slot = try findSlot()
        var session = CK_SESSION_HANDLE(0)
        let flags = CK_FLAGS(CKF_SERIAL_SESSION) | (readWrite ? CK_FLAGS(CKF_RW_SESSION) : 0)
        try PKCS11Module.check(try function(\.C_OpenSession, "C_OpenSession")(slot, flags, nil, nil, &session), "\(name): C_OpenSession")
        do {
            try login(session)
        } catch {
            _ = module.f.C_CloseSession?(session)
            throw error
        }
        return session
    }

    private func login(_ session: CK_SESSION_HANDLE) throws {
        guard !pinRefused.load(ordering: .acquiring) else {
            throw BullaError(.wrongPassphrase, "\(name): the token refused this PIN before; it is not tried again (restart with the right PIN)")
        }
        guard let pin else {
            throw BullaError(.passphraseRequired, "\(name) needs its PIN: give pin-source=file:… in the URI, set BULLA_PKCS11_PIN, or run on a terminal")
        }
        let rv = try pin.withBytes { bytes in
            try function(\.C_Login, "C_Login")(session, CK_USER_TYPE(CKU_USER), UnsafeMutablePointer(mutating: bytes.bindMemory(to: UInt8.self).baseAddress), CK_ULONG(bytes.count))
        }
        guard rv != CKR_OK, rv != CK_RV(CKR_USER_ALREADY_LOGGED_IN) else { return }
        var error = PKCS11Module.error(rv, "\(name): logging in")
        if error.code == .wrongPassphrase { pinRefused.store(true, ordering: .releasing) }
        if let source = pin.source { error.message += " (the PIN from \(source))" }
        throw error
    }

    /// The slot whose token the URI's token, manufacturer, serial, model and slot-id match;
    /// refuses none and more than one, naming the tokens there are.
    private func findSlot() throws -> CK_SLOT_ID {
        let list = try function(\.C_GetSlotList, "C_GetSlotList")
        var count = CK_ULONG(0)
        try PKCS11Module.check(list(CK_BBOOL(1), nil, &count), "\(module.path): C_GetSlotList")
        guard count <= 256 else { throw BullaError(.limitExceeded, "\(module.path) lists \(count) slots; Bulla reads at most 256") }
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
        try PKCS11Module.check(list(CK_BBOOL(1), &slots, &count), "\(module.path): C_GetSlotList")
        // A module claiming more slots than the room it was given is not believed.
        guard count <= CK_ULONG(slots.count) else { throw BullaError(.malformedInput, "\(module.path): C_GetSlotList reported \(count) slots after \(slots.count)") }
        var matching: [CK_SLOT_ID] = []
        var seen: [String] = []
        for slot in slots.prefix(Int(count)) {
            var info = CK_TOKEN_INFO()
            // A slot whose token is not initialised (softhsm2's spare slot) holds no keys.
            guard try function(\.C_GetTokenInfo, "C_GetTokenInfo")(slot, &info) == CKR_OK, info.flags & CK_FLAGS(CKF_TOKEN_INITIALIZED) != 0 else { continue }
            let fields = [
                "token": Self.padded(info.label), "manufacturer": Self.padded(info.manufacturerID),
                "model": Self.padded(info.model), "serial": Self.padded(info.serialNumber), "slot-id": String(slot),
            ]
            seen.append(fields["token"]!)
            if fields.allSatisfy({ name, value in uri.text(name).map { $0 == value } ?? true }) { matching.append(slot) }
        }
        guard let slot = matching.first else {
            throw BullaError(.notFound, "no token matching \(uri) in \(module.path)" + (seen.isEmpty ? " (no token is present)" : " (tokens present: \(seen.map { "\"\($0)\"" }.joined(separator: ", ")))"))
        }
        guard matching.count == 1 else {
            throw BullaError(.invalidArgument, "\(matching.count) tokens match \(uri) in \(module.path): name one with token=, serial= or slot-id=")
        }
        return slot
    }

    /// A blank-padded fixed-size PKCS #11 text field, without its padding.
    static func padded<T>(_ field: T) -> String {
        withUnsafeBytes(of: field) { raw in
            var bytes = Array(raw)
            while let last = bytes.last, last == 0x20 || last == 0 { bytes.removeLast() }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// A module function, or an error naming the module that lacks it.
    func function<F>(_ path: KeyPath<CK_FUNCTION_LIST, F?>, _ name: String) throws -> F {
        guard let function = module.f[keyPath: path] else {
            throw BullaError(.unsupported, "the PKCS #11 module \(module.path) does not implement \(name)")
        }
        return function
    }
}
