import CPKCS11

/// Attribute templates, object search, attribute reads and signing on a token's session.
extension PKCS11Token {
    /// One attribute of a template: its type and value bytes.
    struct Attribute {
        let type: CK_ATTRIBUTE_TYPE
        let value: [UInt8]

        init(_ type: UInt, _ value: [UInt8]) {
            self.type = CK_ATTRIBUTE_TYPE(type)
            self.value = value
        }

        init(_ type: UInt, bool: Bool) { self.init(type, [bool ? 1 : 0]) }

        init(_ type: UInt, ulong: UInt) {
            self.type = CK_ATTRIBUTE_TYPE(type)
            value = withUnsafeBytes(of: CK_ULONG(ulong)) { Array($0) }
        }
    }

    /// Calls `body` with `attributes` as a CK_ATTRIBUTE array whose values stay valid meanwhile.
    static func withTemplate<T>(_ attributes: [Attribute], _ body: (UnsafeMutablePointer<CK_ATTRIBUTE>, CK_ULONG) throws -> T) rethrows -> T {
        let buffers = attributes.map { attribute -> UnsafeMutableRawBufferPointer in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(attribute.value.count, 1), alignment: 8)
            buffer.copyBytes(from: attribute.value)
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        var template = zip(attributes, buffers).map { attribute, buffer in
            CK_ATTRIBUTE(type: attribute.type, pValue: buffer.baseAddress, ulValueLen: CK_ULONG(attribute.value.count))
        }
        return try template.withUnsafeMutableBufferPointer { try body($0.baseAddress!, CK_ULONG($0.count)) }
    }

    /// The template that finds the URI's object of `objectClass`: its label and id when given.
    func searchTemplate(_ objectClass: UInt) -> [Attribute] {
        var template = [Attribute(CKA_CLASS, ulong: objectClass)]
        if let object = uri.object { template.append(Attribute(CKA_LABEL, Array(object.utf8))) }
        if let id = uri.id { template.append(Attribute(CKA_ID, id)) }
        return template
    }

    /// The one object of `objectClass` the URI names; refuses none and more than one.
    func findObject(_ session: CK_SESSION_HANDLE, _ objectClass: UInt, what: String) throws -> CK_OBJECT_HANDLE {
        guard uri.object != nil || uri.id != nil else {
            throw BullaError(.invalidArgument, "\(uri) names no key: add object=LABEL or id=%XX… to the URI")
        }
        let named = [uri.object.map { "labelled \"\($0)\"" }, uri.id.map { "with id \(Hex.encode($0))" }].compactMap { $0 }.joined(separator: " and ")
        let found = try objects(session, searchTemplate(objectClass), max: 2)
        guard let first = found.first else { throw BullaError(.notFound, "\(name) has no \(what) \(named)") }
        guard found.count == 1 else {
            throw BullaError(.invalidArgument, "\(name) has more than one \(what) \(named)" + (uri.id == nil ? ": add id= to the URI" : ""))
        }
        return first
    }

    /// The objects matching `template`, at most `max` of them.
    func objects(_ session: CK_SESSION_HANDLE, _ template: [Attribute], max: Int) throws -> [CK_OBJECT_HANDLE] {
        let (initialize, find, final) = (try function(\.C_FindObjectsInit, "C_FindObjectsInit"), try function(\.C_FindObjects, "C_FindObjects"), try function(\.C_FindObjectsFinal, "C_FindObjectsFinal"))
        try Self.withTemplate(template) { try check(initialize(session, $0, $1), "C_FindObjectsInit") }
        defer { _ = final(session) }
        var found = [CK_OBJECT_HANDLE](repeating: 0, count: max)
        var count = CK_ULONG(0)
        try check(find(session, &found, CK_ULONG(max), &count), "C_FindObjects")
        // A module answering with more than it was given room for is held to the room.
        return Array(found.prefix(Int(min(count, CK_ULONG(max)))))
    }

    /// The value of attribute `type` of `object`, at most 64 KiB; nil when the object has none.
    func attribute(_ session: CK_SESSION_HANDLE, _ object: CK_OBJECT_HANDLE, _ type: UInt) throws -> [UInt8]? {
        let get = try function(\.C_GetAttributeValue, "C_GetAttributeValue")
        var probe = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type), pValue: nil, ulValueLen: 0)
        let rv = get(session, object, &probe, 1)
        if rv == CK_RV(CKR_ATTRIBUTE_TYPE_INVALID) || rv == CK_RV(CKR_ATTRIBUTE_SENSITIVE) { return nil }
        try check(rv, "C_GetAttributeValue")
        guard probe.ulValueLen != CK_ULONG(bitPattern: -1) else { return nil }
        guard probe.ulValueLen <= 64 << 10 else { throw BullaError(.limitExceeded, "\(name): an attribute of \(probe.ulValueLen) bytes") }
        var value = [UInt8](repeating: 0, count: Int(probe.ulValueLen))
        let length = try value.withUnsafeMutableBytes { buffer in
            var attribute = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type), pValue: buffer.baseAddress, ulValueLen: CK_ULONG(buffer.count))
            try check(get(session, object, &attribute, 1), "C_GetAttributeValue")
            return attribute.ulValueLen
        }
        guard length <= CK_ULONG(value.count) else { throw BullaError(.malformedInput, "\(name): C_GetAttributeValue wrote \(length) bytes into \(value.count)") }
        return Array(value.prefix(Int(length)))
    }

    /// A CK_BBOOL attribute of `object`; nil when the object has none.
    func flag(_ session: CK_SESSION_HANDLE, _ object: CK_OBJECT_HANDLE, _ type: UInt) throws -> Bool? {
        try attribute(session, object, type).map { $0.first.map { $0 != 0 } ?? false }
    }

    /// Signs `data` with `key` under `mechanism` (CKM_ECDSA over a digest, CKM_EDDSA over a message).
    func sign(_ session: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE, mechanism: UInt, data: [UInt8]) throws -> [UInt8] {
        let (initialize, sign) = (try function(\.C_SignInit, "C_SignInit"), try function(\.C_Sign, "C_Sign"))
        var chosen = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(mechanism), pParameter: nil, ulParameterLen: 0)
        try check(initialize(session, &chosen, key), "C_SignInit")
        var signature = [UInt8](repeating: 0, count: 512)
        var length = CK_ULONG(signature.count)
        var input = data
        try check(sign(session, &input, CK_ULONG(input.count), &signature, &length), "C_Sign")
        guard length <= CK_ULONG(signature.count) else { throw BullaError(.malformedInput, "\(name): C_Sign reported a \(length)-byte signature in \(signature.count) bytes") }
        return Array(signature.prefix(Int(length)))
    }
}
